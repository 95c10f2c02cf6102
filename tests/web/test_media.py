"""Uploaded images are public (the platforms fetch them), but only those the media table knows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from drafts.images import ImageRules, check_and_store
from drafts.models import Media

RULES = ImageRules(max_bytes=5_000_000, min_side=100, max_side=4000, max_pixels=20_000_000)


def stored_image(db: Session, upload_dir: Path, fmt: str = "JPEG") -> tuple[str, bytes]:
    """Store an image as an upload would and record it; return its name and bytes."""
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "teal").save(out, fmt)
    stored = check_and_store(out.getvalue(), RULES, upload_dir)
    db.add(Media(filename="x", stored_name=stored.stored_name, mime_type=stored.mime_type,
                 width=stored.width, height=stored.height, size_bytes=stored.size_bytes,
                 sha256=stored.sha256))
    db.commit()
    return stored.stored_name, (upload_dir / stored.stored_name).read_bytes()


@pytest.fixture
def upload_dir(app_config: dict[str, Any]) -> Path:
    return Path(app_config["upload_dir"])


@pytest.mark.parametrize("fmt, mime", [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_it_serves_a_stored_image_publicly_with_its_type(client, db, upload_dir, fmt, mime):
    name, data = stored_image(db, upload_dir, fmt)
    response = client.get(f"/media/{name}")  # not logged in
    assert response.status_code == 200
    assert response.mimetype == mime
    assert response.data == data
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unknown_name_is_not_found(client):
    assert client.get("/media/" + "a" * 40 + ".jpg").status_code == 404


def test_a_file_the_media_table_does_not_know_is_not_served(client, upload_dir):
    upload_dir.mkdir(parents=True, exist_ok=True)
    name = "b" * 40 + ".jpg"
    (upload_dir / name).write_bytes(b"not recorded")
    assert client.get(f"/media/{name}").status_code == 404


@pytest.mark.parametrize("path", [
    "/media/../config/defaults.toml",
    "/media/..%2Fconfig%2Fdefaults.toml",
    "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/..%5C..%5Cpublisher%5C__init__.py",
    "/media/.%2Fuploads",
])
def test_path_traversal_attempts_are_not_found(client, db, upload_dir, path):
    stored_image(db, upload_dir)
    assert client.get(path).status_code == 404
