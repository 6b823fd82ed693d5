import pytest

from chalicelib.services.upload_service import MiB, part_size_for, safe_filename


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"), ("C:\\evil\\x.png", "x.png"), ("...", "file"), ("a b<c>.png", "a_b_c_.png"),
    ("x" * 300 + ".png", "x" * 120),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("size,expected", [
    (65 * MiB, 8 * MiB),                 # minimum part size
    (5 * 1024 * MiB, 8 * MiB),           # 5 GiB in 640 parts
    (100 * 1024 * MiB, 11 * MiB),        # would exceed 10,000 parts at 8 MiB
])
def test_part_size(size, expected):
    part = part_size_for(size)
    assert part == expected and -(-size // part) <= 10_000
