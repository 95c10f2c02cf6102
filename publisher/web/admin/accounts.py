"""Channel accounts: where posts go. Credentials live in the environment, never here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.base import reason_text
from channels.registry import REGISTRY
from drafts.models import ChannelAccount
from publisher.auth import actor, admin_required
from publisher.config import ConfigError, account_credentials, current_settings
from publisher.db import get_session
from publisher.flows.firstday import paused
from publisher.flows.manage.accounts import OPTIONS, test_account, update_account
from publisher.i18n import lang
from publisher.web.admin.common import (
    FormReader,
    bp,
    municipality_options,
    record,
    show,
    switch_active,
)

PREFIX_RE = re.compile(r"^[A-Z0-9]+(?:_[A-Z0-9]+)*$")
FIELDS = ("platform", "external_id", "name", "municipality", "credentials_env")


def platform_labels() -> dict[str, str]:
    """Each platform's name as people know it (from its row in channels/registry.py)."""
    return {name: _(row.long_label) for name, row in REGISTRY.items()}


def credential_keys(prefix: str) -> tuple[list[str], str]:
    """Names (never values) of the credentials set for a prefix, and a problem if any."""
    if not prefix:
        return [], ""
    try:
        return sorted(account_credentials(prefix)), ""
    except ConfigError as exc:
        return [], str(exc)


def _get(db: Session, account_id: int) -> ChannelAccount:
    account = db.get(ChannelAccount, account_id)
    if account is None:
        abort(404)
    return account


def _duplicate_message(platform: str, external_id: str) -> str:
    return _("There is already a %(platform)s account with the id %(id)s.",
             platform=platform, id=external_id)


def _read(db: Session, account: ChannelAccount | None) -> tuple[dict[str, Any], dict[str, str]]:
    form = FormReader(request.form)
    prefix = (request.form.get("credentials_env") or "").strip().upper()
    if prefix and (len(prefix) > 64 or not PREFIX_RE.match(prefix)):
        form.fail("credentials_env", _("Use capital letters A–Z, digits and single underscores, "
                                       "e.g. KMP_FACEBOOK."))
    values: dict[str, Any] = {
        "platform": form.choice("platform", tuple(REGISTRY), _("Choose a platform.")),
        "external_id": form.text("external_id", 120, _("Enter the account's id on the "
                                                        "platform.")),
        "name": form.text("name", 160, _("Enter a name people recognise the account by.")),
        "municipality": form.municipality(db, "municipality", required=False),
        "municipality_id": request.form.get("municipality", ""),
        "credentials_env": prefix,
    }
    if "platform" not in form.errors and values["external_id"]:
        clash = db.scalar(select(ChannelAccount.id).where(
            ChannelAccount.platform == values["platform"],
            ChannelAccount.external_id == values["external_id"]))
        if clash is not None and (account is None or clash != account.id):
            form.fail("external_id", _duplicate_message(values["platform"],
                                                        values["external_id"]))
    return values, form.errors


def _option_rows(account: ChannelAccount | None, posted: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The platform's settings as form rows: name, label, kind, value, error."""
    if account is None:
        return []
    current = {**(account.options or {}), **(posted or {})}
    return [{"name": key, "label": option.label(lang()), "kind": option.kind,
             "value": current.get(key), "error": (errors or {}).get(f"opt_{key}", "")}
            for key, option in OPTIONS.get(account.platform, {}).items()]


def _posted_options(platform: str) -> dict[str, Any]:
    """The settings form's values: an empty text removes a setting, a box unticked is false."""
    found: dict[str, Any] = {}
    for key, option in OPTIONS.get(platform, {}).items():
        raw = (request.form.get(f"opt_{key}") or "").strip()
        if option.kind == "boolean":
            found[key] = request.form.get(f"opt_{key}") == "yes"
        elif not raw:
            found[key] = None
        elif option.kind == "integer":
            found[key] = int(raw) if raw.isdigit() and len(raw) < 10 else raw
        else:
            found[key] = raw
    return found


def _form(account: ChannelAccount | None, values: dict[str, Any],
          errors: dict[str, str], **extra: Any) -> Any:
    keys, problem = credential_keys(account.credentials_env if account is not None else "")
    current = account.municipality if account is not None else None
    return show("admin/account_form.html", account=account, values=values, errors=errors,
                platform_pairs=list(platform_labels().items()),
                municipalities=municipality_options(get_session(),
                                                                              current),
                credential_keys=keys, credential_problem=problem,
                option_rows=extra.get("option_rows", _option_rows(account)))


def _conflict(account: ChannelAccount | None, values: dict[str, Any]) -> Any:
    get_session().rollback()
    message = _duplicate_message(values["platform"], values["external_id"])
    return _form(account, values, {"external_id": message})


@bp.get("/accounts")
@admin_required
def accounts() -> Any:
    """List channel accounts with their health and which credentials are present."""
    rows = list(get_session().scalars(
        select(ChannelAccount).order_by(ChannelAccount.platform, ChannelAccount.name)))
    keys = {a.id: credential_keys(a.credentials_env) for a in rows}
    return show("admin/accounts.html", accounts=rows, keys=keys, platforms=platform_labels())


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_required
def account_new() -> Any:
    """Add a channel account."""
    if request.method == "GET":
        return _form(None, {"platform": next(iter(REGISTRY))}, {})
    db = get_session()
    values, errors = _read(db, None)
    if errors:
        return _form(None, values, errors)
    account = ChannelAccount(options={}, active=True)
    for name in FIELDS:
        setattr(account, name, values[name])
    db.add(account)
    try:
        db.flush()
        record(db, "account.created", account_id=account.id, platform=account.platform,
               external_id=account.external_id)
        db.commit()
    except IntegrityError:
        return _conflict(None, values)
    flash(_("The account %(name)s was added.", name=account.name), "success")
    return redirect(url_for("admin.accounts"))


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@admin_required
def account_edit(account_id: int) -> Any:
    """Edit a channel account."""
    db = get_session()
    account = _get(db, account_id)
    if request.method == "GET":
        values: dict[str, Any] = {n: getattr(account, n) for n in FIELDS}
        values["municipality_id"] = str(account.municipality_id or "")
        return _form(account, values, {})
    values, errors = _read(db, account)
    if errors:
        return _form(account, values, errors)
    changed = [n for n in FIELDS if getattr(account, n) != values[n]]
    for name in changed:
        setattr(account, name, values[name])
    try:
        if changed:
            record(db, "account.updated", account_id=account.id, platform=account.platform,
                   changed=changed)
        resumed = paused.resume(db, account, datetime.now(UTC), actor()) if changed else []
        db.commit()
    except IntegrityError:
        return _conflict(account, values)
    flash(_("The account %(name)s was saved.", name=account.name), "success")
    if resumed:
        flash(_("%(n)s deliveries that waited for this fix go out again now.", n=len(resumed)),
              "success")
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:account_id>/settings")
@admin_required
def account_settings(account_id: int) -> Any:
    """Save the platform settings of an account (the same rules as PATCH /api/v1/accounts)."""
    db = get_session()
    account = _get(db, account_id)
    posted = _posted_options(account.platform)
    problems = update_account(db, account, now=datetime.now(UTC), actor=actor(),
                              options=posted)
    if problems:
        db.rollback()
        errors = {"opt_" + p.field.removeprefix("options."): p.message(lang()) for p in problems}
        values: dict[str, Any] = {n: getattr(account, n) for n in FIELDS}
        values["municipality_id"] = str(account.municipality_id or "")
        return _form(account, values, errors, option_rows=_option_rows(account, posted, errors))
    db.commit()
    flash(_("The account %(name)s was saved.", name=account.name), "success")
    return redirect(url_for("admin.account_edit", account_id=account.id), 303)


@bp.post("/accounts/<int:account_id>/active")
@admin_required
def account_active(account_id: int) -> Any:
    """Switch a channel account on or off."""
    db = get_session()
    account = _get(db, account_id)
    active = switch_active(db, account, "account", account_id=account.id,
                           platform=account.platform)
    flash(_("The account %(name)s is now active.", name=account.name) if active
          else _("The account %(name)s is now inactive.", name=account.name), "success")
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:account_id>/test")
@admin_required
def account_test(account_id: int) -> Any:
    """Ask the platform whether the account works, and record the answer."""
    db = get_session()
    account = _get(db, account_id)
    settings = current_settings()
    ok = test_account(db, settings, account, now=datetime.now(UTC), actor=actor())
    db.commit()
    if ok:
        flash(_("The connection to %(name)s works: %(detail)s", name=account.name,
                detail=account.health_detail), "success")
    else:
        flash(_("The connection to %(name)s does not work: %(reason)s", name=account.name,
                reason=reason_text(account.health_detail.split(":", 1)[0], lang())), "error")
    return redirect(url_for("admin.account_edit", account_id=account.id), 303)
