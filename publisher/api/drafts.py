"""Drafts over the API: list, create, read, update, move through the lifecycle, history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import selectinload

from drafts.models import AuditEvent, Draft, Initiative, Municipality, User
from drafts.service import NotEditable
from drafts.states import ADMIN_ACTIONS, InvalidTransition
from drafts.validation import DraftInput, FieldError, clean_draft_input, parse_moment
from publisher.api import present, problems
from publisher.api.base import bp, current_user, documented, now
from publisher.api.schemas import (
    MAX_PER_PAGE,
    AuditEventSchema,
    DraftCreateSchema,
    DraftFilterSchema,
    DraftPageSchema,
    DraftPatchSchema,
    DraftSchema,
    IfMatchSchema,
    TransitionSchema,
)
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.errors import problem
from publisher.flows.actions import ActionRefused, perform
from publisher.flows.editing import InQuietPeriod, create_draft, edit_draft
from publisher.flows.manage.media import raw_input
from publisher.i18n import lang

ETAG = {"ETag": {"description": 'The draft\'s version, e.g. "3": send it back as If-Match.',
                 "schema": {"type": "string"}}}
CREATE_EXAMPLE = {
    "kind": "event", "title": "Sommerkoncert i parken", "body": "Gratis koncert for alle.",
    "initiative": "music", "municipalities": ["roskilde"], "channels": ["facebook", "website"],
    "desired_at": "2025-05-20T09:00", "event_start": "2025-06-01T18:00", "venue": "Byparken",
    "variants": {"x": "Sommerkoncert i Byparken 1. juni kl. 18!"},
}
LOCATION = {"Location": {"description": "Where the new draft is.", "schema": {"type": "string"}}}


def _load(draft_id: int, *, for_update: bool = False) -> Draft | None:
    query = select(Draft).where(Draft.id == draft_id)
    if for_update:
        query = query.with_for_update()
    return get_session().scalar(query)


def _detail(draft: Draft, status: int = 200, **headers: str) -> Any:
    body = present.draft_detail(draft, current_user(), current_settings())
    return body, status, {"ETag": f'"{draft.version}"', **headers}


def _clean(raw: dict[str, Any], munis: Iterable[str] = (), inits: Iterable[str] = ()
           ) -> tuple[DraftInput | None, list[FieldError]]:
    """Check input against the active municipalities and initiatives (plus the draft's own)."""
    db = get_session()
    known_munis = set(db.scalars(select(Municipality.slug).where(Municipality.active.is_(True))))
    known_inits = set(db.scalars(select(Initiative.slug).where(Initiative.active.is_(True))))
    return clean_draft_input(raw, zone=current_settings().zone,
                             municipalities=known_munis | set(munis),
                             initiatives=known_inits | set(inits))


def _own_initiative(user: User, slug: str) -> bool:
    return user.is_admin or slug in {i.slug for i in user.initiatives}


def _not_yours(user: User) -> Response:
    """403 for a user who may not change this draft."""
    if not user.may_create():
        return problems.forbidden(_("Your account can read drafts but not change them."))
    return problems.forbidden(_("You can only work on drafts of your own initiatives."))


def _version_conflict(draft: Draft, if_match: str | None, version: int | None) -> Response | None:
    """409 when the client's If-Match header or version field names another version."""
    if if_match is not None:
        tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
        if "*" not in tags and str(draft.version) not in tags:
            return problems.version_conflict(draft.version, if_match)
    if version is not None and version != draft.version:
        return problems.version_conflict(draft.version, str(version))
    return None


def _slug_id(model: type[Municipality] | type[Initiative], name: str, slug: str
             ) -> tuple[int | None, FieldError | None]:
    found = get_session().scalar(select(model.id).where(model.slug == slug))
    if found is None:
        return None, FieldError(name, "unknown", f"Ukendt: {slug[:60]}.", f"Unknown: {slug[:60]}.")
    return found, None


def _moment_filter(args: dict[str, Any], name: str, errors: list[FieldError]) -> Any:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if name == "desired_to":
        try:  # a date alone means up to the end of that day
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None and day < date.max:  # the range check refuses 9999-12-31 itself
            value = (day + timedelta(days=1)).isoformat()
    moment, error = parse_moment(value, current_settings().zone, 0, name)
    if error:
        errors.append(error)
    return moment


def _filters(args: dict[str, Any]) -> tuple[list[Any], list[FieldError]]:
    """SQL conditions for the list's filters, or the problems with them."""
    conditions: list[Any] = []
    errors: list[FieldError] = []
    for name in ("status", "kind"):
        if args.get(name):
            conditions.append(getattr(Draft, name) == args[name])
    if args.get("channel"):
        # channels is a JSON list; its text form holds each name in quotes on both databases.
        conditions.append(cast(Draft.channels, String).like(f'%"{args["channel"]}"%'))
    if args.get("municipality"):
        muni_id, error = _slug_id(Municipality, "municipality", args["municipality"])
        errors.extend([error] if error else [])
        conditions.append(Draft.municipalities.any(Municipality.id == muni_id))
    if args.get("initiative"):
        init_id, error = _slug_id(Initiative, "initiative", args["initiative"])
        errors.extend([error] if error else [])
        conditions.append(Draft.initiative_id == init_id)
    start = _moment_filter(args, "desired_from", errors)
    if start:
        conditions.append(Draft.desired_at >= start)
    end = _moment_filter(args, "desired_to", errors)
    if end:
        conditions.append(Draft.desired_at < end)
    words = (args.get("q") or "").strip()
    if words:
        conditions.append(or_(*(
            or_(column.contains(words, autoescape=True),
                func.lower(column).contains(words.lower(), autoescape=True))
            for column in (Draft.title, Draft.body)
        )))
    return conditions, errors


class DraftCollection(MethodView):
    @bp.arguments(DraftFilterSchema, location="query")
    @bp.response(200, DraftPageSchema)
    @documented(401, 422)
    @bp.doc(operationId="listDrafts")
    def get(self, args: dict[str, Any]) -> Any:
        """List drafts, newest first, with filters and pages."""
        conditions, errors = _filters(args)
        if errors:
            return problems.invalid(errors)
        db = get_session()
        per_page = min(args["per_page"] or current_settings().page_size, MAX_PER_PAGE)
        page = args["page"]
        total = db.scalar(select(func.count()).select_from(Draft).where(*conditions)) or 0
        rows = db.scalars(
            select(Draft).where(*conditions)
            .options(selectinload(Draft.initiative), selectinload(Draft.municipalities))
            .order_by(Draft.id.desc()).limit(per_page).offset((page - 1) * per_page)
        )
        return {"items": [present.draft_summary(d) for d in rows], "total": total,
                "page": page, "per_page": per_page, "pages": -(-total // per_page)}

    @bp.arguments(DraftCreateSchema, example=CREATE_EXAMPLE)
    @bp.response(201, DraftSchema, headers={**ETAG, **LOCATION})
    @documented(400, 401, 403, 413, 422)
    @bp.doc(operationId="createDraft")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a draft (editors: for their own initiatives only)."""
        user = current_user()
        if not user.may_create():
            return _not_yours(user)
        cleaned, errors = _clean(data)
        if cleaned is None:
            return problems.invalid(errors)
        if not _own_initiative(user, cleaned.initiative):
            return _not_yours(user)
        db = get_session()
        draft = create_draft(db, cleaned, actor=actor(), author_id=user.id, now=now())
        db.commit()
        return _detail(draft, 201, Location=url_for(".DraftItem", draft_id=draft.id))


class DraftItem(MethodView):
    @bp.response(200, DraftSchema, headers=ETAG)
    @documented(401, 404)
    @bp.doc(operationId="getDraft")
    def get(self, draft_id: int) -> Any:
        """Read a draft: content, status, per-channel text, media and your possible actions."""
        draft = _load(draft_id)
        if draft is None:
            return problems.not_found()
        return _detail(draft)

    @bp.arguments(IfMatchSchema, location="headers")
    @bp.arguments(DraftPatchSchema, example={"title": "Sommerkoncert flyttet til kl. 19",
                                             "desired_at": "2025-06-01T19:00", "version": 1})
    @bp.response(200, DraftSchema, headers=ETAG)
    @documented(400, 401, 403, 404, 409, 413, 422)
    @bp.doc(operationId="updateDraft")
    def patch(self, headers: dict[str, Any], data: dict[str, Any], draft_id: int) -> Any:
        """Change some fields; the rest keep their values. A content change voids approvals."""
        user = current_user()
        draft = _load(draft_id, for_update=True)
        if draft is None:
            return problems.not_found()
        if not user.may_edit(draft):
            return _not_yours(user)
        conflict = _version_conflict(draft, headers.get("if_match"), data.pop("version", None))
        if conflict is not None:
            return conflict
        current = raw_input(draft)
        cleaned, errors = _clean({**current, **data}, current["municipalities"],
                                 [current["initiative"]])
        if cleaned is None:
            return problems.invalid(errors)
        if not _own_initiative(user, cleaned.initiative):
            return _not_yours(user)
        db = get_session()
        try:
            edit_draft(db, draft, cleaned, actor=actor(), now=now())
        except InQuietPeriod as exc:
            db.rollback()
            return problem(409, _("The new time falls in a quiet period"),
                           _("Nothing is published during %(periods)s. Choose a time outside "
                             "it.", periods=", ".join(p.title for p in exc.periods)),
                           code="quiet_period")
        except NotEditable:
            return problem(409, _("This draft can no longer be edited"),
                           _("It is %(status)s.", status=draft.status),
                           current_status=draft.status)
        db.commit()
        return _detail(draft)


bp.add_url_rule("/drafts", view_func=DraftCollection, tags=["drafts"])
bp.add_url_rule("/drafts/<int:draft_id>", view_func=DraftItem, tags=["drafts"])


@bp.route("/drafts/<int:draft_id>/transitions", methods=["POST"], tags=["drafts"])
@bp.arguments(IfMatchSchema, location="headers")
@bp.arguments(TransitionSchema, example={"action": "submit", "version": 1})
@bp.response(200, DraftSchema, headers=ETAG)
@documented(400, 401, 403, 404, 409, 413, 422)
@bp.doc(operationId="transitionDraft")
def post_transition(headers: dict[str, Any], data: dict[str, Any], draft_id: int) -> Any:
    """Submit, approve (admins), reject, withdraw, schedule, cancel or reopen a draft."""
    user = current_user()
    draft = _load(draft_id, for_update=True)
    if draft is None:
        return problems.not_found()
    if not user.may_edit(draft):
        return _not_yours(user)
    action = data["action"]
    if action in ADMIN_ACTIONS and not user.is_admin:
        return problems.forbidden(_("Only administrators can approve directly."))
    conflict = _version_conflict(draft, headers.get("if_match"), data.get("version"))
    if conflict is not None:
        return conflict
    note = data.get("note", "").strip()
    if action == "approve" and not note:
        note = "approved by an administrator through the API"
    db = get_session()
    try:
        perform(db, draft, action, user=user, actor=actor(), now=now(), note=note)
    except ActionRefused as exc:
        db.rollback()
        extra: dict[str, Any] = ({"problems": [p.as_dict(lang()) for p in exc.problems]}
                                 if exc.problems else {})
        return problem(exc.status, exc.message("en") if lang() == "en" else exc.message("da"),
                       code=exc.code, current_status=draft.status, **extra)
    except InvalidTransition:
        db.rollback()
        actions = present.actions_for(user, draft)
        return problem(
            409, _("This action is not possible now"),
            _("The draft is %(status)s; possible actions: %(actions)s.", status=draft.status,
              actions=", ".join(actions) or _("none")),
            current_status=draft.status, allowed_actions=actions,
        )
    db.commit()
    return _detail(draft)


@bp.route("/drafts/<int:draft_id>/history", methods=["GET"], tags=["drafts"])
@bp.response(200, AuditEventSchema(many=True))
@documented(401, 404)
@bp.doc(operationId="draftHistory")
def history(draft_id: int) -> Any:
    """The draft's audit events, oldest first."""
    draft = _load(draft_id)
    if draft is None:
        return problems.not_found()
    events = get_session().scalars(
        select(AuditEvent).where(AuditEvent.draft_id == draft.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [present.audit_event(e) for e in events]
