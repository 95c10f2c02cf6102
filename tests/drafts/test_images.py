"""Uploads: only real images within limits are kept, and never with their location."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from drafts.images import ImageRejected, ImageRules, check_and_store

RULES = ImageRules(max_bytes=2_000_000, min_side=200, max_side=4000, max_pixels=20_000_000)


def _jpeg(size=(800, 600), gps=False, orientation=None) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (55.0, 40.0, 0.0), 3: "E", 4: (12.0, 34.0, 0.0)}
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_it_stores_a_jpeg_without_its_gps_position(tmp_path):
    stored = check_and_store(_jpeg(gps=True), RULES, tmp_path)
    kept = Image.open(tmp_path / stored.stored_name)
    assert kept.getexif().get_ifd(0x8825) == {}
    assert (stored.width, stored.height, stored.mime_type) == (800, 600, "image/jpeg")


def test_it_turns_the_picture_upright_before_dropping_the_orientation_tag(tmp_path):
    stored = check_and_store(_jpeg(orientation=6), RULES, tmp_path)
    assert (stored.width, stored.height) == (600, 800)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 not an image", "not_image"),
        (_jpeg()[:400], "not_image"),
        (_jpeg(size=(100, 100)), "too_small"),
        (_jpeg(size=(4500, 300)), "too_big"),
    ],
)
def test_it_refuses_what_is_not_an_acceptable_image(tmp_path, data, code):
    with pytest.raises(ImageRejected) as err:
        check_and_store(data, RULES, tmp_path)
    assert err.value.code == code
    assert err.value.message("da") != err.value.message("en")


def test_it_refuses_a_file_over_the_size_limit(tmp_path):
    rules = ImageRules(max_bytes=1000, min_side=1, max_side=4000, max_pixels=20_000_000)
    with pytest.raises(ImageRejected) as err:
        check_and_store(_jpeg(), rules, tmp_path)
    assert err.value.code == "too_large"


def test_it_refuses_an_unsupported_format(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (300, 300)).save(out, "BMP")
    with pytest.raises(ImageRejected) as err:
        check_and_store(out.getvalue(), RULES, tmp_path)
    assert err.value.code == "format"


def test_it_refuses_a_decompression_bomb(tmp_path):
    out = io.BytesIO()
    Image.new("1", (6000, 6000)).save(out, "PNG")
    rules = ImageRules(max_bytes=2_000_000, min_side=1, max_side=10000, max_pixels=1_000_000)
    with pytest.raises(ImageRejected) as err:
        check_and_store(out.getvalue(), rules, tmp_path)
    assert err.value.code == "not_image"
