import pytest

from chalicelib.errors import ValidationError
from chalicelib.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip_is_url_safe():
    q = {"tag": "anime", "sort": "newest"}
    c = encode_cursor({"pk": "MODEL#1", "sk": 123}, q)
    assert all(ch.isalnum() or ch in "-_" for ch in c)
    assert decode_cursor(c, {**q, "cursor": c, "pageSize": 10}) == {"pk": "MODEL#1", "sk": 123}


def test_no_key_no_cursor():
    assert encode_cursor(None, {}) is None and decode_cursor(None, {}) is None and decode_cursor("", {}) is None


def test_cursor_bound_to_its_query():
    c = encode_cursor({"pk": "x"}, {"tag": "anime"})
    with pytest.raises(ValidationError) as e:
        decode_cursor(c, {"tag": "photo"})
    assert e.value.field == "cursor"


@pytest.mark.parametrize("bad", ["%%%", "bm90IGpzb24", "eyJrIjogWzFdLCAicSI6ICJ4In0", "W10"])
def test_malformed_cursors(bad):
    with pytest.raises(ValidationError):
        decode_cursor(bad, {})
