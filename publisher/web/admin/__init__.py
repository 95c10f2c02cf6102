"""Administration: people, the organisation, approvers, channel accounts and API tokens.

Admins only: every route carries `admin_required`, and the blueprint refuses other roles too.
"""

from __future__ import annotations

from publisher.web.admin import accounts, approvers, org, overview, tokens, users
from publisher.web.admin.common import bp

__all__ = ["accounts", "approvers", "bp", "org", "overview", "tokens", "users"]
