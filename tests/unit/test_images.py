import pytest
from PIL import Image, ImageFile

from functions.ingest.images import (
    AVIF,
    JPEG,
    MAX_IMAGE_PIXELS,
    PNG,
    SUPPORTED_MIME_TYPES,
    WEBP,
    ImageInfo,
    InvalidImage,
    detect_mime,
    inspect_image,
)
from tests.fixtures import image_factory as factory


@pytest.mark.parametrize("make,expected", [
    (factory.a1111_png, ImageInfo(PNG, 64, 48, False, 1)),
    (factory.jpeg_with_user_comment, ImageInfo(JPEG, 64, 48, False, 1)),
    (factory.webp, ImageInfo(WEBP, 64, 48, False, 1)),
    (factory.avif, ImageInfo(AVIF, 64, 48, False, 1)),
    (factory.animated_webp, ImageInfo(WEBP, 48, 48, True, 3)),
    (factory.animated_png, ImageInfo(PNG, 48, 48, True, 2)),
    (factory.rotated_jpeg, ImageInfo(JPEG, 64, 32, False, 1)),  # stored size; orientation is a display concern
    (factory.gray16_png, ImageInfo(PNG, 64, 32, False, 1)),
    (factory.rgba_png, ImageInfo(PNG, 300, 200, False, 1)),
])
def test_accepts_supported_images(make, expected):
    assert inspect_image(make()) == expected


@pytest.mark.parametrize("make,reason", [
    (factory.gif, "GIF images are not supported"),
    (factory.svg_as_png, "SVG files are not accepted"),
    (factory.html_as_png, "HTML document"),
    (lambda: b"", "empty"),
    (lambda: b"\x00\x01garbage" * 50, "unrecognised file format"),
    (lambda: b"just some text that someone renamed", "unrecognised file format"),
    (lambda: b"BM" + b"\0" * 60, "BMP"),
    (lambda: b"II*\0" + b"\0" * 60, "TIFF"),
    (lambda: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 32, "HEIC"),
])
def test_refuses_other_formats_with_a_reason(make, reason):
    with pytest.raises(InvalidImage) as caught:
        inspect_image(make())
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


@pytest.mark.parametrize("make", [factory.truncated_png, factory.truncated_jpeg])
def test_refuses_truncated_files(make):
    with pytest.raises(InvalidImage, match="truncated or corrupt"):
        inspect_image(make())


def test_refuses_truncated_webp_and_avif():
    for data in (factory.truncated(factory.webp()), factory.truncated(factory.avif())):
        with pytest.raises(InvalidImage):
            inspect_image(data)


@pytest.mark.parametrize("make", [factory.decompression_bomb_png, factory.decompression_bomb_jpeg])
def test_refuses_decompression_bombs_before_decoding(make):
    data = make()
    assert len(data) < 2000
    with pytest.raises(InvalidImage, match="too large"):
        inspect_image(data)


def test_bomb_between_pillow_warning_and_error_thresholds_is_refused():
    # 12000x12000 = 144 MP: above MAX_IMAGE_PIXELS (Pillow warns) but below 2x (Pillow would only warn).
    with pytest.raises(InvalidImage, match="too large"):
        inspect_image(factory.decompression_bomb_png(12_000, 12_000))


def test_max_pixels_tightens_the_limit():
    data = factory.a1111_png()  # 64x48 = 3072 px
    assert inspect_image(data, max_pixels=3072).width == 64
    with pytest.raises(InvalidImage, match="64x48 exceeds the 3,071-pixel limit"):
        inspect_image(data, max_pixels=3071)


def test_png_with_corrupt_image_data_is_refused():
    data = bytearray(factory.photo_png((128, 128)))
    idat = data.index(b"IDAT")
    data[idat + 40:idat + 400] = b"\xff" * 360
    with pytest.raises(InvalidImage):
        inspect_image(bytes(data))


def test_safety_settings_are_process_wide():
    assert Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS == 8192 * 8192 * 2
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("head,expected", [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff\xe0", JPEG),
    (b"RIFF\0\0\0\0WEBPVP8 ", WEBP),
    (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1", AVIF),
    (b"\0\0\0\x1cftypmif1\0\0\0\0mif1avif", AVIF),  # AVIF named only among the compatible brands
    (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", None),
    (b"GIF89a", None),
    (b"RIFF\0\0\0\0WAVEfmt ", None),
    (b"", None),
])
def test_detect_mime(head, expected):
    assert detect_mime(head) == expected
    assert expected is None or expected in SUPPORTED_MIME_TYPES
