"""What changed between the version an approver was asked about and the current one."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from drafts.models import Draft

MAX_TOKENS = 20000  # beyond this, say that it changed rather than diffing word by word


@dataclass(frozen=True)
class Piece:
    op: str  # "same", "removed", "added"
    text: str


@dataclass(frozen=True)
class FieldChange:
    field: str  # title, body, link, variant:<channel>
    pieces: list[Piece]


def _tokens(text: str) -> list[str]:
    return re.findall(r"\s+|[^\s]+", text or "")


def word_diff(before: str, after: str) -> list[Piece]:
    """`before` → `after` as runs of unchanged, removed and added words."""
    old, new = _tokens(before), _tokens(after)
    if len(old) + len(new) > MAX_TOKENS:
        return [Piece("removed", before), Piece("added", after)]
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(new[j1:j2])))
    return pieces


def changes_since(snapshot: dict[str, Any], draft: Draft) -> list[FieldChange]:
    """The fields that differ between `snapshot` (drafts.approvals.snapshot_of) and the draft."""
    if not snapshot:
        return []
    now_variants = {v.channel: v.text for v in draft.variants}
    then_variants = dict(snapshot.get("variants") or {})
    pairs = [
        ("title", str(snapshot.get("title") or ""), draft.title or ""),
        ("body", str(snapshot.get("body") or ""), draft.body or ""),
        ("link", str(snapshot.get("link") or ""), draft.link or ""),
    ]
    for channel in sorted(set(now_variants) | set(then_variants)):
        pairs.append(
            (
                f"variant:{channel}",
                str(then_variants.get(channel) or ""),
                now_variants.get(channel) or "",
            )
        )
    return [
        FieldChange(name, word_diff(before, after))
        for name, before, after in pairs
        if before != after
    ]
