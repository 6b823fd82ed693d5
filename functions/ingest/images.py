"""Decide whether uploaded bytes are an image we accept, and open them safely.

Accepted: PNG, JPEG, WebP and AVIF, identified from their bytes (never from the file name or the
declared content type). Everything else, and anything Pillow cannot fully decode, raises
``InvalidImage`` with a reason that can be shown to the uploader.

Decompression bombs are refused before any pixel is decoded: the declared canvas size is checked
against ``MAX_IMAGE_PIXELS``, and Pillow's own bomb warning is promoted to an error.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageFile

# Two 8K squares: generous for AI output and upscales, small enough that a decoded RGBA frame
# (~512 MiB) still fits a Lambda. Set process-wide because Pillow's bomb check reads the global.
MAX_IMAGE_PIXELS = 8192 * 8192 * 2
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# A truncated upload must be refused, not silently padded with grey.
ImageFile.LOAD_TRUNCATED_IMAGES = False

PNG, JPEG, WEBP, AVIF = "image/png", "image/jpeg", "image/webp", "image/avif"
SUPPORTED_MIME_TYPES = (PNG, JPEG, WEBP, AVIF)
_PILLOW_FORMAT = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP", AVIF: "AVIF"}
_FORMAT_LABEL = {PNG: "PNG", JPEG: "JPEG", WEBP: "WebP", AVIF: "AVIF"}
# Pillow reports JPEGs that carry a multi-picture index as MPO.
_MIME_BY_PILLOW_FORMAT = {"PNG": PNG, "JPEG": JPEG, "MPO": JPEG, "WEBP": WEBP, "AVIF": AVIF}
_AVIF_BRANDS = (b"avif", b"avis")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_SNIFF_WINDOW = 1024


class InvalidImage(ValueError):
    """The bytes are not an acceptable image; ``reason`` is safe to show to the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageInfo:
    mime: str
    width: int
    height: int
    animated: bool
    frame_count: int


def detect_mime(data: bytes) -> str | None:
    """The MIME type of a supported image format from its signature, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if any(brand in _AVIF_BRANDS for brand in _ftyp_brands(data)):
        return AVIF
    return None


def inspect_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> ImageInfo:
    """Identify and fully decode the first frame; raise InvalidImage if anything is wrong.

    ``max_pixels`` can only tighten the limit: Pillow's process-wide guard still applies above it.
    """
    image = open_image(data, max_pixels=max_pixels)
    mime = _MIME_BY_PILLOW_FORMAT[image.format or ""]
    width, height = image.size
    if mime == JPEG:
        frame_count = 1  # MPO "frames" are stereo/preview shots, not animation
        # Truncation is still detected at 1/8 scale: every entropy-coded byte is read.
        image.draft(None, (1, 1))
    else:
        with _pillow_failures_as_invalid(f"{_FORMAT_LABEL[mime]} animation data is corrupt"):
            frame_count = max(1, int(getattr(image, "n_frames", 1)))
    load_pixels(image)
    return ImageInfo(mime=mime, width=width, height=height, animated=frame_count > 1, frame_count=frame_count)


def open_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """Open (header only) a supported image whose canvas is at most ``max_pixels``."""
    mime = detect_mime(data)
    if mime is None:
        raise InvalidImage(_unsupported_reason(data))
    label = _FORMAT_LABEL[mime]
    with _pillow_failures_as_invalid(f"not a readable {label} image"):
        image = Image.open(BytesIO(data), formats=[_PILLOW_FORMAT[mime]])
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage(f"{label} image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise InvalidImage(f"image is too large: {width}x{height} exceeds the {max_pixels:,}-pixel limit")
    return image


def load_pixels(image: Image.Image) -> None:
    """Decode the current frame of an image returned by ``open_image``."""
    label = image.format or "image"
    with _pillow_failures_as_invalid(f"{label} data is truncated or corrupt"):
        image.load()


@contextmanager
def _pillow_failures_as_invalid(reason: str) -> Iterator[None]:
    # catch_warnings is process-global on Python 3.12; under concurrent use the filter may be
    # restored early, which only lets a warning through: open_image's explicit check still refuses.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise InvalidImage("image is too large (declared size suggests a decompression bomb)") from exc
        except Exception as exc:  # Pillow reports malformed input with many exception types
            raise InvalidImage(reason) from exc


def _ftyp_brands(data: bytes) -> list[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box (AVIF, HEIF, MP4...)."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return []
    box_size = min(int.from_bytes(data[:4], "big"), len(data), _SNIFF_WINDOW)
    compatible = [data[offset:offset + 4] for offset in range(16, box_size - 3, 4)]
    return [data[8:12], *compatible]


def _unsupported_reason(data: bytes) -> str:
    if not data:
        return "the file is empty"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF images are not supported; upload PNG, JPEG, WebP or AVIF"
    if any(brand in _HEIF_BRANDS for brand in _ftyp_brands(data)):
        return "HEIC/HEIF images are not supported; upload PNG, JPEG, WebP or AVIF"
    if data.startswith(b"BM"):
        return "BMP images are not supported; upload PNG, JPEG, WebP or AVIF"
    if data.startswith((b"II*\0", b"MM\0*")):
        return "TIFF images are not supported; upload PNG, JPEG, WebP or AVIF"
    head = data[:_SNIFF_WINDOW].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head:
        return "SVG files are not accepted; upload a raster image (PNG, JPEG, WebP or AVIF)"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<script" in head:
        return "this is an HTML document, not an image"
    if head.startswith(b"<"):
        return "this is an XML/markup document, not an image"
    return "unrecognised file format; upload PNG, JPEG, WebP or AVIF"
