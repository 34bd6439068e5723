"""Evidence images (a screenshot of a capacity lock, a scanned list): accept PNG or JPEG only,
refuse decompression bombs before decoding (`limits.max_image_pixels`), and re-encode the
pixels so nothing but the picture is stored (EXIF with GPS positions, ICC blobs, trailing
data and any polyglot payload are dropped)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from tracker.config import Limits
from tracker.errors import InvalidImage

__all__ = ["IMAGE_TYPES", "PreparedImage", "is_image", "prepare_image"]

IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": ("PNG", "image/png"), b"\xff\xd8\xff": ("JPEG", "image/jpeg")}


@dataclass(frozen=True, slots=True)
class PreparedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def is_image(data: bytes) -> bool:
    return any(data.startswith(magic) for magic in IMAGE_TYPES)


def prepare_image(data: bytes, limits: Limits) -> PreparedImage:
    kind = next((v for magic, v in IMAGE_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise InvalidImage("only PNG and JPEG images are accepted", code="unsupported_image")
    fmt, content_type = kind
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                if width * height > limits.max_image_pixels:
                    raise InvalidImage(
                        f"the image has more than {limits.max_image_pixels} pixels",
                        code="image_too_large",
                        limit=limits.max_image_pixels,
                    )
                img.load()
                pixels = img.convert("RGB") if img.mode not in ("RGB", "L", "RGBA") else img
                if fmt == "JPEG" and pixels.mode == "RGBA":
                    pixels = pixels.convert("RGB")
                out = io.BytesIO()
                pixels.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    except InvalidImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, SyntaxError) as exc:  # fmt: skip
        raise InvalidImage("the image cannot be decoded", code="invalid_image") from exc
    return PreparedImage(out.getvalue(), content_type, width, height)
