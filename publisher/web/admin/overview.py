"""The administration front page: what there is, with links."""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import func, select

from drafts.models import ApiToken, Approver, ChannelAccount, Initiative, Municipality, User
from publisher.auth import admin_required
from publisher.db import get_session
from publisher.web.admin.common import bp


def _counts(model: Any, *where: Any) -> int:
    return get_session().scalar(select(func.count()).select_from(model).where(*where)) or 0


@bp.get("/")
@admin_required
def index() -> Any:
    """Show counts of everything an admin looks after, with links to each screen."""
    sections = [
        ("admin.users", "users", _counts(User, User.active.is_(True)), _counts(User)),
        ("admin.municipalities", "municipalities",
         _counts(Municipality, Municipality.active.is_(True)), _counts(Municipality)),
        ("admin.initiatives", "initiatives",
         _counts(Initiative, Initiative.active.is_(True)), _counts(Initiative)),
        ("admin.approvers", "approvers",
         _counts(Approver, Approver.active.is_(True)), _counts(Approver)),
        ("admin.accounts", "accounts",
         _counts(ChannelAccount, ChannelAccount.active.is_(True)), _counts(ChannelAccount)),
        ("admin.tokens", "tokens",
         _counts(ApiToken, ApiToken.revoked_at.is_(None)), _counts(ApiToken)),
    ]
    return render_template("admin/index.html", sections=sections)
