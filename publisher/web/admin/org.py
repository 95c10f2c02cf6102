"""The organisation: municipalities and initiatives (slugs are fixed once created)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from drafts.models import Initiative, Municipality
from publisher.auth import admin_required
from publisher.db import get_session
from publisher.web.admin.common import (
    FormReader,
    bp,
    municipality_options,
    record,
    show,
    switch_active,
)

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _slug(form: FormReader, db: Session, model: Any) -> str:
    """A new, unique slug: lowercase a–z, digits and hyphens."""
    slug = (form.data.get("slug") or "").strip()
    if not slug:
        form.fail("slug", _("Enter a short name for addresses (slug)."))
    elif not SLUG_RE.match(slug):
        form.fail("slug", _("Use only lowercase letters a–z, digits and hyphens (not first or "
                            "last), at most 64 characters, e.g. koge or culture-health."))
    elif db.scalar(select(model.id).where(model.slug == slug)) is not None:
        form.fail("slug", _("The slug %(slug)s is already in use.", slug=slug))
    return slug


def _get(db: Session, model: Any, row_id: int) -> Any:
    row = db.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _taken(values: dict[str, Any]) -> dict[str, str]:
    get_session().rollback()
    return {"slug": _("The slug %(slug)s is already in use.", slug=values.get("slug", ""))}


# -- municipalities -------------------------------------------------------------------------


@bp.get("/municipalities")
@admin_required
def municipalities() -> Any:
    """List the municipalities."""
    rows = get_session().scalars(select(Municipality).order_by(Municipality.name))
    return show("admin/municipalities.html", municipalities=list(rows))


def _muni_form(muni: Municipality | None, values: dict[str, Any], errors: dict[str, str]) -> Any:
    return show("admin/municipality_form.html", muni=muni, values=values, errors=errors)


@bp.route("/municipalities/new", methods=["GET", "POST"])
@admin_required
def municipality_new() -> Any:
    """Add a municipality."""
    if request.method == "GET":
        return _muni_form(None, {}, {})
    db = get_session()
    form = FormReader(request.form)
    values = {"slug": _slug(form, db, Municipality),
              "name": form.text("name", 120, _("Enter the municipality's name."))}
    if form.errors:
        return _muni_form(None, values, form.errors)
    muni = Municipality(slug=values["slug"], name=values["name"], active=True)
    db.add(muni)
    try:
        db.flush()
        record(db, "municipality.created", municipality_id=muni.id, slug=muni.slug)
        db.commit()
    except IntegrityError:
        return _muni_form(None, values, _taken(values))
    flash(_("%(name)s was added.", name=muni.name), "success")
    return redirect(url_for("admin.municipalities"))


@bp.route("/municipalities/<int:muni_id>", methods=["GET", "POST"])
@admin_required
def municipality_edit(muni_id: int) -> Any:
    """Rename a municipality (its slug stays: feeds and the API use it)."""
    db = get_session()
    muni = _get(db, Municipality, muni_id)
    if request.method == "GET":
        return _muni_form(muni, {"name": muni.name}, {})
    form = FormReader(request.form)
    values = {"name": form.text("name", 120, _("Enter the municipality's name."))}
    if form.errors:
        return _muni_form(muni, values, form.errors)
    if muni.name != values["name"]:
        record(db, "municipality.updated", municipality_id=muni.id, slug=muni.slug,
               changed=["name"])
        muni.name = values["name"]
        db.commit()
    flash(_("%(name)s was saved.", name=muni.name), "success")
    return redirect(url_for("admin.municipalities"))


@bp.post("/municipalities/<int:muni_id>/active")
@admin_required
def municipality_active(muni_id: int) -> Any:
    """Activate or deactivate a municipality (it stays on existing drafts and reports)."""
    db = get_session()
    muni = _get(db, Municipality, muni_id)
    active = switch_active(db, muni, "municipality", municipality_id=muni.id, slug=muni.slug)
    flash(_("%(name)s is now active.", name=muni.name) if active
          else _("%(name)s is now inactive.", name=muni.name), "success")
    return redirect(url_for("admin.municipalities"))


# -- initiatives ----------------------------------------------------------------------------


@bp.get("/initiatives")
@admin_required
def initiatives() -> Any:
    """List the initiatives."""
    rows = get_session().scalars(select(Initiative).order_by(Initiative.name))
    return show("admin/initiatives.html", initiatives=list(rows))


def _ini_form(ini: Initiative | None, values: dict[str, Any], errors: dict[str, str]) -> Any:
    current = ini.home_municipality if ini is not None else None
    return show("admin/initiative_form.html", ini=ini, values=values, errors=errors,
                municipalities=municipality_options(get_session(), current))


def _read_initiative(db: Session, form: FormReader) -> dict[str, Any]:
    home = form.municipality(db, "home_municipality", required=False)
    return {
        "name": form.text("name", 160, _("Enter the initiative's Danish name.")),
        "name_en": form.text("name_en", 160),
        "subtitle": form.text("subtitle", 160),
        "home_municipality": home,
        "home_municipality_id": form.data.get("home_municipality", ""),
    }


@bp.route("/initiatives/new", methods=["GET", "POST"])
@admin_required
def initiative_new() -> Any:
    """Add an initiative."""
    if request.method == "GET":
        return _ini_form(None, {}, {})
    db = get_session()
    form = FormReader(request.form)
    values = {"slug": _slug(form, db, Initiative), **_read_initiative(db, form)}
    if form.errors:
        return _ini_form(None, values, form.errors)
    ini = Initiative(slug=values["slug"], name=values["name"], name_en=values["name_en"],
                     subtitle=values["subtitle"], home_municipality=values["home_municipality"],
                     active=True)
    db.add(ini)
    try:
        db.flush()
        record(db, "initiative.created", initiative_id=ini.id, slug=ini.slug)
        db.commit()
    except IntegrityError:
        return _ini_form(None, values, _taken(values))
    flash(_("%(name)s was added.", name=ini.name), "success")
    return redirect(url_for("admin.initiatives"))


@bp.route("/initiatives/<int:ini_id>", methods=["GET", "POST"])
@admin_required
def initiative_edit(ini_id: int) -> Any:
    """Edit an initiative's names and home municipality (its slug stays)."""
    db = get_session()
    ini = _get(db, Initiative, ini_id)
    if request.method == "GET":
        values = {"name": ini.name, "name_en": ini.name_en, "subtitle": ini.subtitle,
                  "home_municipality_id": str(ini.home_municipality_id or "")}
        return _ini_form(ini, values, {})
    form = FormReader(request.form)
    values = _read_initiative(db, form)
    if form.errors:
        return _ini_form(ini, values, form.errors)
    changed = [n for n in ("name", "name_en", "subtitle", "home_municipality")
               if getattr(ini, n) != values[n]]
    for name in changed:
        setattr(ini, name, values[name])
    if changed:
        record(db, "initiative.updated", initiative_id=ini.id, slug=ini.slug, changed=changed)
        db.commit()
    flash(_("%(name)s was saved.", name=ini.name), "success")
    return redirect(url_for("admin.initiatives"))


@bp.post("/initiatives/<int:ini_id>/active")
@admin_required
def initiative_active(ini_id: int) -> Any:
    """Activate or deactivate an initiative (existing drafts keep it)."""
    db = get_session()
    ini = _get(db, Initiative, ini_id)
    active = switch_active(db, ini, "initiative", initiative_id=ini.id, slug=ini.slug)
    flash(_("%(name)s is now active.", name=ini.name) if active
          else _("%(name)s is now inactive.", name=ini.name), "success")
    return redirect(url_for("admin.initiatives"))
