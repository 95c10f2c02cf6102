"""Rendering, per-channel text and the content hash."""

from __future__ import annotations

from sqlalchemy import select

from drafts.content import channel_text, content_hash, plain_text, render_markdown
from drafts.models import Draft, Initiative, Media, Municipality, Variant


def _draft(db) -> Draft:
    ini = db.scalar(select(Initiative).where(Initiative.slug == "music"))
    muni = db.scalar(select(Municipality).where(Municipality.slug == "halsnaes"))
    draft = Draft(title="Koncert", body="Kom **forbi**.", link="https://example.org/k",
                  initiative=ini, municipalities=[muni], channels=["facebook"], status="draft")
    db.add(draft)
    db.flush()
    return draft


def test_markdown_is_rendered_without_scripts_or_javascript_links():
    html = render_markdown(
        "**x** <script>alert(1)</script> [a](javascript:alert(1)) [b](https://b.dk)"
    )
    assert "<strong>x</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert 'href="https://b.dk"' in html


def test_plain_text_keeps_link_targets():
    assert plain_text("Se [programmet](https://x.dk/p).") == "Se programmet (https://x.dk/p)."


def test_a_channel_gets_its_variant_when_there_is_one(db):
    draft = _draft(db)
    draft.variants.append(Variant(channel="x", text="Kort tekst til X"))
    assert channel_text(draft, "x") == "Kort tekst til X"
    assert channel_text(draft, "facebook") == "Koncert\n\nKom forbi.\n\nhttps://example.org/k"


def test_the_hash_changes_with_anything_that_is_published(db):
    draft = _draft(db)
    original = content_hash(draft)
    for change in (
        lambda d: setattr(d, "title", "Andet"),
        lambda d: setattr(d, "body", "Ny tekst"),
        lambda d: setattr(d, "channels", ["facebook", "x"]),
        lambda d: d.variants.append(Variant(channel="x", text="v")),
        lambda d: d.media.append(Media(filename="a.jpg", stored_name="a.jpg",
                                       mime_type="image/jpeg", width=1, height=1,
                                       size_bytes=1, sha256="ab")),
    ):
        change(draft)
        changed = content_hash(draft)
        assert changed != original
        original = changed


def test_the_hash_ignores_when_the_item_goes_out(db):
    from datetime import UTC, datetime

    draft = _draft(db)
    before = content_hash(draft)
    draft.desired_at = datetime(2027, 1, 1, tzinfo=UTC)
    assert content_hash(draft) == before
