"""Uploaded images are kept only for a form that was accepted: a refused form's images are
removed again, unless a draft already uses the same file (files are named by their content)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import Media


def sweep_unreferenced(session: Session, media: Iterable[Media], upload_dir: str) -> list[str]:
    """Delete the files of unsaved `media` that no saved image refers to; return their names."""
    names = {m.stored_name for m in media if m.stored_name}
    if not names:
        return []
    used = set(session.scalars(select(Media.stored_name).where(Media.stored_name.in_(names))))
    removed = []
    for name in sorted(names - used):
        path = Path(upload_dir) / name
        if path.parent == Path(upload_dir) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(name)
    return removed
