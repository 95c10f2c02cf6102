"""Loading the organisation file into the database, and the demo data a newcomer sees."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.images import ImageRules, check_and_store
from drafts.models import (
    Approver,
    ChannelAccount,
    Initiative,
    Media,
    Municipality,
    Role,
    User,
)
from drafts.validation import clean_draft_input
from publisher.auth import hash_password
from publisher.config import Organisation, Settings
from publisher.flows.editing import create_draft

DEMO_USERS = (
    # username, name, role, initiatives, password
    ("admin", "Sekretariatet (demo)", Role.ADMIN, (), "demo-admin-password"),
    ("musik", "Projektchef, Musikindsatsen (demo)", Role.EDITOR, ("music",),
     "demo-editor-password"),
    ("unge", "Projektchef, Ungeindsatsen (demo)", Role.EDITOR, ("youth",),
     "demo-editor-password"),
    ("laeser", "Kulturchef (kun læse, demo)", Role.VIEWER, (), "demo-viewer-password"),
)


def load_organisation(db: Session, org: Organisation) -> dict[str, int]:
    """Insert or update municipalities, initiatives and accounts from the organisation file."""
    counts = {"municipalities": 0, "initiatives": 0, "accounts": 0}
    by_slug: dict[str, Municipality] = {}
    for row in org.municipalities:
        muni = db.scalar(select(Municipality).where(Municipality.slug == row["slug"]))
        if muni is None:
            muni = Municipality(slug=row["slug"], name=row["name"])
            db.add(muni)
            counts["municipalities"] += 1
        by_slug[muni.slug] = muni
    db.flush()
    for row in org.initiatives:
        ini = db.scalar(select(Initiative).where(Initiative.slug == row["slug"]))
        if ini is None:
            ini = Initiative(slug=row["slug"], name=row["name"])
            db.add(ini)
            counts["initiatives"] += 1
        ini.name_en = row.get("name_en", ini.name_en or "")
        ini.subtitle = row.get("subtitle", ini.subtitle or "")
        home = row.get("home_municipality")
        ini.home_municipality = by_slug.get(home) if home else None
    for row in org.accounts:
        acc = db.scalar(select(ChannelAccount).where(
            ChannelAccount.platform == row["platform"],
            ChannelAccount.external_id == str(row["external_id"]),
        ))
        if acc is None:
            acc = ChannelAccount(platform=row["platform"], external_id=str(row["external_id"]),
                                 name=row["name"], options={})
            db.add(acc)
            counts["accounts"] += 1
        acc.credentials_env = row.get("credentials_env", "")
        # Settings from the file fill what is not set yet; an administrator's edits win.
        configured = dict(row.get("options") or {})
        if any(key not in (acc.options or {}) for key in configured):
            acc.options = {**configured, **(acc.options or {})}
        muni_slug = row.get("municipality")
        acc.municipality = by_slug.get(muni_slug) if muni_slug else None
    db.flush()
    return counts


def demo_image(colour: str, label: str, size: tuple[int, int] = (1080, 1350)) -> bytes:
    """A simple generated JPEG for demo drafts (no external files needed)."""
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((60, 60, size[0] - 60, size[1] - 60), outline="white", width=12)
    draw.text((120, size[1] // 2), label, fill="white")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def load_demo(
    db: Session, org: Organisation, settings: Settings, now: datetime,
    progress: Callable[[str], None] = lambda _m: None,
) -> None:
    """Demo users, approvers and a handful of drafts; safe to run twice."""
    load_organisation(db, org)
    initiatives = {i.slug: i for i in db.scalars(select(Initiative))}
    munis = {m.slug: m for m in db.scalars(select(Municipality))}
    for username, name, role, inis, password in DEMO_USERS:
        if db.scalar(select(User).where(User.username == username)) is None:
            db.add(User(username=username, name=name, role=role.value,
                        email=f"{username}@example.org", password_hash=hash_password(password),
                        initiatives=[initiatives[s] for s in inis if s in initiatives],
                        created_at=now))
            progress(f"user {username}")
    db.flush()
    if db.scalar(select(Approver).limit(1)) is None:
        for slug, muni in munis.items():
            chair = Approver(name=f"Kulturudvalgsformand, {muni.name}",
                             email=f"formand.{slug}@example.org", municipality=muni, role="chair")
            chief = Approver(name=f"Kulturchef, {muni.name}",
                             email=f"kulturchef.{slug}@example.org", municipality=muni,
                             role="culture_chief")
            db.add_all([chair, chief])
            db.flush()
            db.add(Approver(name=f"Suppleant, {muni.name}", email=f"suppleant.{slug}@example.org",
                            municipality=muni, role="deputy", deputy_of=chair))
        progress("approvers")
    from drafts.models import Draft

    if db.scalar(select(Draft).limit(1)) is not None:
        db.commit()
        return
    admin = db.scalar(select(User).where(User.username == "admin"))
    rules = ImageRules(settings.max_upload_bytes, settings.min_image_side,
                       settings.max_image_side, settings.max_image_pixels)
    upload_dir = Path(settings.upload_dir)
    samples = [
        ("article", "Koncertrække i Halsnæs: unge bands på scenen",
         "Musikindsatsen inviterer til **tre aftener** med nye bands fra hele regionen.\n\n"
         "Gratis adgang. Læs mere og se programmet.", "music", ["halsnaes", "roskilde"],
         ["facebook", "instagram", "website"], "#0b4f8a"),
        ("event", "Ungdommens kulturdag i Albertslund",
         "Workshops i graffiti, dans og musikproduktion for alle mellem 13 og 25 år.",
         "youth", ["albertslund"], ["facebook", "website", "newsletter"], "#7a1f5c"),
        ("post", "Et bedre liv med kultur: nye hold i Ishøj og Køge",
         "Kultur- og sundhedsindsatsen åbner nye hold med fællessang og museumsbesøg.",
         "culture-health", ["ishoj", "koge"], ["facebook", "newsletter"], "#1d6b35"),
    ]
    for index, (kind, title, body, ini, mun, channels, colour) in enumerate(samples):
        when = (now + timedelta(days=index + 2)).astimezone(settings.zone)
        raw = {
            "kind": kind, "title": title, "body": body, "initiative": ini,
            "municipalities": mun, "channels": channels,
            "desired_at": when.replace(hour=10, minute=0, tzinfo=None).isoformat(),
            "link": "https://kulturmetropolen.dk/",
        }
        if kind == "event":
            start = when.replace(hour=13, minute=0, tzinfo=None) + timedelta(days=5)
            raw.update(event_start=start.isoformat(),
                       event_end=(start + timedelta(hours=5)).isoformat(),
                       venue="Musikhuset", address="Hovedgaden 1, 2620 Albertslund",
                       price="Gratis", audience="13-25 år")
        data, problems = clean_draft_input(raw, zone=settings.zone, municipalities=set(munis),
                                           initiatives=set(initiatives))
        if data is None:
            raise RuntimeError(f"demo draft invalid: {problems}")
        stored = check_and_store(demo_image(colour, title), rules, upload_dir)
        media = Media(filename=f"demo-{index + 1}.jpg", stored_name=stored.stored_name,
                      mime_type=stored.mime_type, width=stored.width, height=stored.height,
                      size_bytes=stored.size_bytes, sha256=stored.sha256,
                      alt_text=f"Plakat: {title}")
        create_draft(db, data, actor=("system", None, "demo"),
                     author_id=admin.id if admin else None, now=now, media=[media])
        progress(f"draft {index + 1}/{len(samples)}")
    db.commit()
