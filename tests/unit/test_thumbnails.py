from io import BytesIO

import numpy as np
import pytest
from PIL import Image, ImageCms

from functions.ingest.images import InvalidImage
from functions.ingest.thumbnails import DEFAULT_SIZES, Thumbnail, make_thumbnails
from tests.fixtures import image_factory as factory


def decode(thumbnail: Thumbnail) -> Image.Image:
    image = Image.open(BytesIO(thumbnail.data))
    assert image.format == "WEBP"
    assert image.size == (thumbnail.width, thumbnail.height)
    image.load()
    return image


def psnr(reference: Image.Image, candidate: Image.Image) -> float:
    a = np.asarray(reference.convert("RGB"), dtype=np.float64)
    b = np.asarray(candidate.convert("RGB"), dtype=np.float64)
    return 10 * np.log10(255 ** 2 / np.mean((a - b) ** 2))


def close(actual: tuple, expected: tuple, tolerance: int = 6) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.fixture(scope="module")
def photo_4k() -> bytes:
    return factory.photo_jpeg((3840, 2160))


def test_default_sizes_from_a_4k_jpeg(photo_4k):
    thumbnails = make_thumbnails(photo_4k)
    assert set(thumbnails) == set(DEFAULT_SIZES) == {"grid", "preview"}
    assert (thumbnails["preview"].width, thumbnails["preview"].height) == (1024, 576)
    assert (thumbnails["grid"].width, thumbnails["grid"].height) == (256, 144)
    for thumbnail in thumbnails.values():
        assert thumbnail.mime == "image/webp"
        assert decode(thumbnail).mode == "RGB"


def test_jpeg_draft_and_chained_sizes_keep_quality(photo_4k):
    source = Image.open(BytesIO(photo_4k)).convert("RGB")
    thumbnails = make_thumbnails(photo_4k)
    for name, size in (("preview", (1024, 576)), ("grid", (256, 144))):
        reference = source.resize(size, Image.Resampling.LANCZOS)
        assert psnr(reference, decode(thumbnails[name])) > 35, name


def test_portrait_image_fits_the_box():
    thumbnails = make_thumbnails(factory.photo_png((832, 1216)))
    assert (thumbnails["preview"].width, thumbnails["preview"].height) == (701, 1024)
    assert (thumbnails["grid"].width, thumbnails["grid"].height) == (175, 256)


def test_never_upscales():
    thumbnails = make_thumbnails(factory.a1111_png(), {"grid": 256, "huge": 4096})
    assert {(t.width, t.height) for t in thumbnails.values()} == {(64, 48)}


def test_custom_sizes_and_quality(photo_4k):
    thumbnails = make_thumbnails(photo_4k, {"tiny": 64, "small": 300, "medium": 500}, quality=90)
    assert {name: (t.width, t.height) for name, t in thumbnails.items()} == {
        "tiny": (64, 36), "small": (300, 169), "medium": (500, 281)}
    lower = make_thumbnails(photo_4k, {"medium": 500}, quality=40)
    assert len(lower["medium"].data) < len(thumbnails["medium"].data)


@pytest.mark.parametrize("sizes", [{}, {"grid": 0}, {"grid": -5}])
def test_rejects_meaningless_sizes(sizes):
    with pytest.raises(ValueError):
        make_thumbnails(factory.a1111_png(), sizes)


def test_exif_orientation_is_applied():
    thumbnails = make_thumbnails(factory.rotated_jpeg())  # stored 64x32, red left half, orientation 6
    preview = decode(thumbnails["preview"])
    assert preview.size == (32, 64)
    assert close(preview.getpixel((16, 8)), (255, 0, 0), 40)  # the left edge is now on top
    assert close(preview.getpixel((16, 56)), (0, 0, 255), 40)
    assert (thumbnails["grid"].width, thumbnails["grid"].height) == (32, 64)


def test_icc_profile_is_converted_to_srgb():
    profile = factory.adobe_rgb_like_profile()
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), factory.ICC_SOURCE_COLOR), ImageCms.ImageCmsProfile(BytesIO(profile)),
        ImageCms.createProfile("sRGB"), renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC).getpixel((0, 0))
    assert not close(expected, factory.ICC_SOURCE_COLOR, 10)  # the profile really matters for this colour
    preview = decode(make_thumbnails(factory.icc_png(profile))["preview"])
    assert close(preview.getpixel((32, 32)), expected)
    assert "icc_profile" not in preview.info


def test_srgb_tagged_and_broken_profiles_keep_colours():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for profile in (srgb, b"not an icc profile at all" * 10):
        preview = decode(make_thumbnails(factory.icc_png(profile))["preview"])
        assert close(preview.getpixel((32, 32)), factory.ICC_SOURCE_COLOR)


def test_first_frame_of_an_animation():
    for data in (factory.animated_webp(), factory.animated_png()):
        preview = decode(make_thumbnails(data)["preview"])
        assert close(preview.getpixel((24, 24)), (255, 0, 0))


def test_alpha_is_preserved_without_dark_fringes():
    thumbnails = make_thumbnails(factory.rgba_png((300, 200)), {"grid": 97})
    grid = decode(thumbnails["grid"])
    assert grid.mode == "RGBA"
    assert grid.getpixel((0, 0))[3] == 0
    assert close(grid.getpixel((48, 32)), (255, 0, 0, 255), 12)
    pixels = np.asarray(grid)
    edge = pixels[(pixels[..., 3] > 40) & (pixels[..., 3] < 215)]
    assert len(edge) > 0
    assert edge[..., 0].min() > 200  # premultiplied resize: no black from the transparent background


def test_png_colour_key_transparency_becomes_alpha():
    image = Image.new("RGB", (40, 40), (0, 255, 0))
    image.paste((255, 0, 0), (10, 10, 30, 30))
    preview = decode(make_thumbnails(factory._encode(image, "PNG", transparency=(0, 255, 0)))["preview"])
    assert preview.mode == "RGBA"
    assert preview.getpixel((2, 2))[3] == 0
    assert close(preview.getpixel((20, 20)), (255, 0, 0, 255))


def test_opaque_alpha_channel_is_dropped():
    data = factory._encode(factory.photo_like_image(64, 64).convert("RGBA"), "PNG")
    assert decode(make_thumbnails(data)["preview"]).mode == "RGB"


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    preview = decode(make_thumbnails(factory.gray16_png())["preview"]).convert("L")
    assert preview.getpixel((1, 16)) < 20
    assert 100 < preview.getpixel((32, 16)) < 155
    assert preview.getpixel((62, 16)) > 235


def test_palette_cmyk_and_avif_sources():
    cmyk = factory._encode(Image.new("CMYK", (40, 40), (0, 255, 255, 0)), "JPEG", quality=95)
    assert close(decode(make_thumbnails(cmyk)["preview"]).getpixel((20, 20)), (255, 0, 0), 30)
    for data in (factory.palette_png(), factory.avif()):
        assert decode(make_thumbnails(data)["grid"]).size == (64, 48)


@pytest.mark.parametrize("make", [factory.photo_png, factory.photo_jpeg])
def test_output_is_deterministic(make):
    data = make((700, 500))
    first, second = make_thumbnails(data), make_thumbnails(data)
    assert {name: t.data for name, t in first.items()} == {name: t.data for name, t in second.items()}


def test_other_inputs_are_deterministic_too():
    for data in (factory.icc_png(), factory.rotated_jpeg(), factory.animated_webp(), factory.rgba_png()):
        assert make_thumbnails(data) == make_thumbnails(data)


def test_no_metadata_leaks_into_thumbnails():
    exif = factory.exif_bytes({0x010F: "Canon", 0x8825: {2: (48.0, 51.0, 0.0)}},
                              {0x9286: factory.user_comment("secret prompt", "utf-16-be")})
    data = factory._encode(factory.photo_like_image(64, 64), "JPEG", exif=exif, icc_profile=factory.adobe_rgb_like_profile())
    for thumbnail in make_thumbnails(data).values():
        assert b"EXIF" not in thumbnail.data and b"ICCP" not in thumbnail.data and b"XMP " not in thumbnail.data
        assert not {"exif", "icc_profile", "xmp"} & set(decode(thumbnail).info)


@pytest.mark.parametrize("make", [
    factory.decompression_bomb_png, factory.decompression_bomb_jpeg, factory.truncated_png, factory.truncated_jpeg,
    factory.gif, factory.html_as_png, factory.svg_as_png, lambda: b"",
])
def test_refuses_what_inspection_refuses(make):
    with pytest.raises(InvalidImage):
        make_thumbnails(make())


def test_max_pixels_is_enforced():
    with pytest.raises(InvalidImage, match="too large"):
        make_thumbnails(factory.photo_png((100, 100)), max_pixels=9_999)
