"""Channel accounts over the API: read them, change their non-secret settings, test them.

Credentials never pass through the API: they stay in the environment (credentials_env names
the prefix). Settings are the account's options, with the keys its platform takes
(publisher.flows.manage.accounts.OPTIONS), e.g. a Mailchimp account's from_name and reply_to.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from channels.base import reason_text
from drafts.models import ChannelAccount
from drafts.validation import FieldError
from publisher.api import present, problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.schemas import CodedSchema, Text
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.manage.accounts import OPTIONS, test_account, update_account
from publisher.i18n import lang

ACCOUNT_EXAMPLE = {
    "id": 4, "platform": "newsletter", "name": "Kulturmetropolens nyhedsbrev",
    "external_id": "kmp0list01", "municipality": None, "active": True, "health": "ok",
    "health_detail": "audience Kulturmetropolen", "checked_at": "2026-05-02T08:00:00+00:00",
    "token_expires_at": None, "options": {"from_name": "Kulturmetropolen",
                                          "reply_to": "kommunikation@kulturmetropolen.dk",
                                          "merge_field": "KOMMUNE"},
}


def _options_doc() -> str:
    lines = ["Non-secret settings, by platform (a key set to null is removed):"]
    for platform, options in OPTIONS.items():
        names = "; ".join(f"`{k}` ({o.kind}): {o.description}" for k, o in options.items())
        lines.append(f"- {platform}: {names or 'none'}")
    return "\n".join(lines)


class AccountSchema(CodedSchema):
    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    name = fields.String(required=True)
    external_id = fields.String(required=True,
                                metadata={"description": "The account's id on the platform."})
    municipality = fields.String(required=True, allow_none=True,
                                 metadata={"description": "Owner, or null for central."})
    active = fields.Boolean(required=True)
    health = fields.String(required=True, metadata={"description": "ok, failing or unknown"})
    health_detail = fields.String(required=True)
    checked_at = fields.DateTime(required=True, allow_none=True)
    token_expires_at = fields.DateTime(required=True, allow_none=True)
    options = fields.Dict(keys=fields.String(), required=True,
                          metadata={"description": _options_doc()})


class AccountPatchSchema(CodedSchema):
    name = Text(validate=validate.Length(min=1, max=160, error="too_long:{max}"))
    options = fields.Dict(keys=Text(validate=validate.Length(max=64, error="too_long:{max}")),
                          values=fields.Raw(allow_none=True),
                          metadata={"description": _options_doc()})


class ConnectionSchema(CodedSchema):
    ok = fields.Boolean(required=True)
    message = fields.String(required=True, metadata={"description": "In plain words."})
    account = fields.Nested(AccountSchema, required=True)


def _load(account_id: int) -> ChannelAccount | None:
    return get_session().get(ChannelAccount, account_id)


def _missing() -> Any:
    return problems.no_such(_("No such channel account"),
                            _("There is no channel account with this id."))


def _admin_only() -> Any:
    return problems.forbidden(_("Only administrators can do this."))


@bp.route("/accounts", methods=["GET"], tags=["accounts"])
@bp.response(200, AccountSchema(many=True), example=[ACCOUNT_EXAMPLE])
@documented(401)
@bp.doc(operationId="listAccounts")
def list_accounts() -> Any:
    """List channel accounts with their health and settings (never credentials)."""
    rows = get_session().scalars(select(ChannelAccount)
                                 .options(selectinload(ChannelAccount.municipality))
                                 .order_by(ChannelAccount.platform, ChannelAccount.name))
    return [present.account(a) for a in rows]


@bp.route("/accounts/<int:account_id>", methods=["GET"], tags=["accounts"])
@bp.response(200, AccountSchema, example=ACCOUNT_EXAMPLE)
@documented(401, 404)
@bp.doc(operationId="getAccount")
def get_account(account_id: int) -> Any:
    """Read one channel account."""
    account = _load(account_id)
    return _missing() if account is None else present.account(account)


@bp.route("/accounts/<int:account_id>", methods=["PATCH"], tags=["accounts"])
@bp.arguments(AccountPatchSchema, example={"options": {
    "from_name": "Kulturmetropolen", "reply_to": "kommunikation@kulturmetropolen.dk",
    "merge_field": "KOMMUNE"}})
@bp.response(200, AccountSchema)
@documented(400, 401, 403, 404, 422)
@bp.doc(operationId="updateAccount")
def patch_account(data: dict[str, Any], account_id: int) -> Any:
    """Change an account's name and settings (admins); other settings keep their values."""
    if not current_user().is_admin:
        return _admin_only()
    account = _load(account_id)
    if account is None:
        return _missing()
    db = get_session()
    found = update_account(db, account, now=now(), actor=actor(), name=data.get("name"),
                           options=data.get("options"))
    if found:
        db.rollback()
        return problems.invalid([FieldError(p.field, p.code, p.da, p.en) for p in found])
    db.commit()
    return present.account(account)


@bp.route("/accounts/<int:account_id>/test", methods=["POST"], tags=["accounts"])
@bp.response(200, ConnectionSchema)
@documented(401, 403, 404)
@bp.doc(operationId="testAccount")
def post_test(account_id: int) -> Any:
    """Ask the platform whether the account works, and record the answer as its health."""
    if not current_user().is_admin:
        return _admin_only()
    account = _load(account_id)
    if account is None:
        return _missing()
    db = get_session()
    ok = test_account(db, current_settings(), account, now=now(),
                      actor=actor())
    db.commit()
    message = account.health_detail if ok else reason_text(
        account.health_detail.split(":", 1)[0], lang())
    return {"ok": ok, "message": message, "account": present.account(account)}
