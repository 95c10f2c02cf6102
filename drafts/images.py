"""Uploaded images: checked with Pillow (type, size, dimensions) and stored without location data.

Only JPEG, PNG and WebP are accepted. The stored file is re-encoded from the decoded pixels, so
EXIF (GPS position, camera serials) never reaches a platform; the orientation is applied first
so the picture still stands the right way up.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"),
           "WEBP": ("image/webp", ".webp")}


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    min_side: int
    max_side: int
    max_pixels: int


@dataclass(frozen=True)
class StoredImage:
    stored_name: str
    mime_type: str
    width: int
    height: int
    size_bytes: int
    sha256: str


class ImageRejected(ValueError):
    """The upload is not an image we accept; `code` says why, `params` fill the message."""

    MESSAGES = {
        "empty": ("Filen er tom.", "The file is empty."),
        "too_large": ("Billedet fylder for meget (højst {limit} MB).",
                      "The image is too large (at most {limit} MB)."),
        "not_image": ("Filen er ikke et billede, vi kan læse (JPEG, PNG eller WebP).",
                      "The file is not an image we can read (JPEG, PNG or WebP)."),
        "format": ("Billedformatet {format} understøttes ikke (brug JPEG, PNG eller WebP).",
                   "The image format {format} is not supported (use JPEG, PNG or WebP)."),
        "too_small": ("Billedet er for lille: mindst {min} pixels på hver led.",
                      "The image is too small: at least {min} pixels each way."),
        "too_big": ("Billedet er for stort: højst {max} pixels på hver led.",
                    "The image is too big: at most {max} pixels each way."),
    }

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "da") -> str:
        da, en = self.MESSAGES[self.code]
        return (en if lang == "en" else da).format(**self.params)


def check_and_store(data: bytes, rules: ImageRules, directory: Path) -> StoredImage:
    """Validate `data` as an image and store a location-free copy under its content hash."""
    if not data:
        raise ImageRejected("empty")
    if len(data) > rules.max_bytes:
        raise ImageRejected("too_large", limit=round(rules.max_bytes / 1024 / 1024, 1))
    image = _open(data, rules)
    fmt = image.format or ""
    if fmt not in FORMATS:
        raise ImageRejected("format", format=fmt or "?")
    width, height = image.size
    if min(width, height) < rules.min_side:
        raise ImageRejected("too_small", min=rules.min_side)
    if max(width, height) > rules.max_side:
        raise ImageRejected("too_big", max=rules.max_side)
    clean = _without_metadata(image, fmt)
    mime, suffix = FORMATS[fmt]
    digest = hashlib.sha256(clean).hexdigest()
    directory.mkdir(parents=True, exist_ok=True)
    name = digest[:40] + suffix
    target = directory / name
    if not target.exists():
        tmp = target.with_suffix(suffix + ".part")
        tmp.write_bytes(clean)
        tmp.replace(target)
    w, h = Image.open(io.BytesIO(clean)).size
    return StoredImage(name, mime, w, h, len(clean), digest)


def _open(data: bytes, rules: ImageRules) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = rules.max_pixels
            image = Image.open(io.BytesIO(data))
            image.load()  # decode fully: a truncated or corrupt file fails here
        return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("not_image") from None


def _without_metadata(image: Image.Image, fmt: str) -> bytes:
    """Re-encode the pixels with orientation applied and no EXIF, XMP or GPS data."""
    upright = ImageOps.exif_transpose(image) or image
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    if upright.mode in ("P", "PA"):
        upright = upright.convert("RGBA")
    # Rebuild from raw pixels: the new image carries no metadata at all.
    fresh = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    options: dict[str, object] = {"format": fmt}
    if fmt == "JPEG":
        options.update(quality=90, optimize=True)
    if "icc_profile" in image.info:  # colour profile is not personal data; keep colours right
        options["icc_profile"] = image.info["icc_profile"]
    fresh.save(out, **options)  # type: ignore[arg-type]
    return out.getvalue()
