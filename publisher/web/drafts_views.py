"""The draft queue, composing and editing drafts, a draft's page with its history, and actions."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from drafts.content import render_markdown
from drafts.localtime import is_ambiguous
from drafts.models import CHANNEL_NAMES, Draft, Initiative, Kind, Municipality, User
from drafts.service import NotEditable
from drafts.states import (
    EDITABLE,
    InvalidTransition,
    Status,
    allowed_actions,
)
from drafts.validation import clean_draft_input, parse_moment
from publisher.auth import actor
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.actions import KNOWN_ACTIONS, ActionRefused, perform
from publisher.flows.delivery_views import (
    approver_notes,
    deliveries_by_draft,
    deliveries_of,
    delivery_problem,
)
from publisher.flows.editing import InQuietPeriod, create_draft, edit_draft
from publisher.flows.firstday import clicks, deadlines, published, rules
from publisher.flows.manage.media import chosen_files, store_uploads
from publisher.flows.plan.plan import next_free_slots
from publisher.flows.security.uploads import sweep_unreferenced
from publisher.i18n import lang
from publisher.security import large_body
from publisher.web import forms, history, labels, queue_filters
from publisher.web.preview import previews, unsaved_draft

bp = Blueprint("drafts", __name__)

Problem = tuple[str, str]
# Where the error summary links to for fields that are groups rather than one input.
ANCHORS = {"kind": "kind-post", "municipalities": "municipalities", "channels": "channels",
           "variants": "variants", "form": "draft-form"}


def _user() -> User:
    user: User = g.user
    return user


def _municipalities(db: Session) -> list[Municipality]:
    return list(db.scalars(select(Municipality).where(Municipality.active)
                           .order_by(Municipality.name)))


def _initiatives(db: Session) -> list[Initiative]:
    return list(db.scalars(select(Initiative).where(Initiative.active).order_by(Initiative.name)))


def _editable(draft: Draft) -> bool:
    return Status(draft.status) in EDITABLE


# ---------------------------------------------------------------------------------------- queue


@bp.get("/queue")
def queue() -> Any:
    """List drafts with filters, sorting and pages."""
    db = get_session()
    municipalities, initiatives = _municipalities(db), _initiatives(db)
    q = queue_filters.parse_queue_args(
        request.args, {m.slug for m in municipalities}, {i.slug for i in initiatives})
    context: dict[str, Any] = dict(
        q=q, municipalities=municipalities, initiatives=initiatives, drafts=[], total=0,
        pages=1, statuses=list(Status), kinds=list(Kind), sort_keys=queue_filters.SORT_KEYS,
        editable=_editable, progress=published.progress, holds={},
    )
    if q.problems:
        return render_template("drafts/queue.html", **context), 400
    zone = current_settings().zone
    size = current_settings().page_size
    total = db.scalar(queue_filters.apply(select(func.count(Draft.id)), q, zone)) or 0
    pages = max(1, math.ceil(total / size))
    if q.page > pages:
        q.problems.append(("page", _("There is no page %(page)s; there are %(pages)s.",
                                     page=q.page, pages=pages)))
        return render_template("drafts/queue.html", **context), 400
    stmt = queue_filters.apply(select(Draft), q, zone).options(
        selectinload(Draft.municipalities), selectinload(Draft.initiative),
        selectinload(Draft.author),
    ).order_by(*queue_filters.ordering(q.sort)).limit(size).offset((q.page - 1) * size)
    drafts = list(db.scalars(stmt))
    context.update(drafts=drafts, total=total, pages=pages,
                   deliveries=deliveries_by_draft(db, [d.id for d in drafts]),
                   notes=approver_notes(db, drafts), progress=published.progress,
                   holds=deadlines.holds_of(db, [d.id for d in drafts]))
    return render_template("drafts/queue.html", **context)


# -------------------------------------------------------------------------------------- compose


def _initiative_choices(db: Session, user: User, draft: Draft | None) -> list[Initiative]:
    """Initiatives `user` may pick: all for admins, their own for editors (plus the current)."""
    choices = _initiatives(db) if user.is_admin else [i for i in user.initiatives if i.active]
    if draft is not None and draft.initiative not in choices:
        choices.append(draft.initiative)
    return choices


def _municipality_choices(db: Session, draft: Draft | None) -> list[Municipality]:
    """Active municipalities, plus any inactive one the draft is already tagged with."""
    choices = _municipalities(db)
    if draft is not None:
        choices += [m for m in draft.municipalities if m not in choices]
    return choices


def _may_use(user: User, slug: str) -> bool:
    return user.is_admin or slug in {i.slug for i in user.initiatives}


def _folds(values: dict[str, Any]) -> dict[str, dict[str, str]]:
    """For each time field whose local time happens twice: the two UTC offsets to choose from."""
    zone = current_settings().zone
    found: dict[str, dict[str, str]] = {}
    for name in forms.MOMENT_FIELDS:
        try:
            naive = datetime.fromisoformat(str(values.get(name) or "").replace(" ", "T"))
        except ValueError:
            continue
        if naive.tzinfo is None and is_ambiguous(naive, zone):
            first, second = (naive.replace(tzinfo=zone, fold=f).strftime("%z") for f in (0, 1))
            found[name] = {"first": f"{first[:3]}:{first[3:]}",
                           "second": f"{second[:3]}:{second[3:]}"}
    return found


def _split_problems(problems: list[Problem]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The error summary (anchor, message) and each field's messages joined."""
    summary: list[tuple[str, str]] = []
    by_field: dict[str, list[str]] = {}
    for name, message in problems:
        key = name.replace("variants.", "variant_")
        summary.append((ANCHORS.get(key, key), message))
        by_field.setdefault(key, []).append(message)
    return summary, {k: " ".join(v) for k, v in by_field.items()}


def _render_form(draft: Draft | None, values: dict[str, Any], problems: list[Problem],
                 status: int = 200, **extra: Any) -> Any:
    db = get_session()
    summary, errors = _split_problems(problems)
    settings = current_settings()
    context = dict(
        draft=draft, values=values, summary=summary, errors=errors,
        municipalities=_municipality_choices(db, draft),
        initiatives=_initiative_choices(db, _user(), draft),
        kinds=list(Kind), folds=_folds(values),
        previews=previews(unsaved_draft(values)),
        **_compose_checks(draft, values),
        max_mb=format_decimal(round(settings.max_upload_bytes / 1024 / 1024, 1)),
        min_side=settings.min_image_side, images_per_draft=settings.images_per_draft,
        previewed=False, uploads_lost=False,
        free_slots=next_free_slots(db, [c for c in CHANNEL_NAMES if c in values.get("channels", [])]
                                   or list(CHANNEL_NAMES), datetime.now(UTC), settings.zone,
                                   ignore=draft.id if draft is not None else None),
    )
    context.update(_posted_media(draft))
    context.update(extra)
    return render_template("drafts/form.html", **context), status


def _compose_checks(draft: Draft | None, values: dict[str, Any]) -> dict[str, Any]:
    """The platform rules the draft as typed breaks, per chosen channel (shown by each preview),
    and the approval deadline that would apply if it were sent for approval now.

    New images are only known once saved, so a new draft is checked with the images it has."""
    db, now = get_session(), datetime.now(UTC)
    unsaved = unsaved_draft(values)
    unsaved.desired_at, _problem = parse_moment(
        str(values.get("desired_at") or ""), current_settings().zone,
        int(values["desired_at_fold"]) if str(values.get("desired_at_fold")) in ("0", "1")
        else None, "desired_at")
    if draft is not None:
        unsaved.id, unsaved.initiative_id = draft.id, draft.initiative_id
    chosen = [str(c) for c in values.get("channels") or []]
    unsaved.channels = chosen
    slugs = set(values.get("municipalities") or [])
    unsaved.municipalities = [m for m in _municipality_choices(db, draft) if m.slug in slugs]
    removed = ({int(v) for v in request.form.getlist("remove_media") if v.isdigit()}
               if request.method == "POST" else set())
    kept = [m for m in (draft.media if draft is not None else []) if m.id not in removed]
    found = rules.check_draft(db, current_settings(), unsaved, media=kept)
    deadline = deadlines.deadline_if_sent(db, unsaved, now, str(values.get("initiative") or ""))
    late = rules.time_problem(unsaved.desired_at, now)
    if unsaved in db:  # never saved from here
        db.expunge(unsaved)
    return {"checks": rules.by_channel(found), "deadline_if_sent": deadline,
            "time_passed": late is not None}


def _posted_media(draft: Draft | None) -> dict[str, Any]:
    """Image fields as the person left them (alt texts, removals), for a form shown again."""
    posted = request.method == "POST"
    form = request.form
    alts = {m.id: form.get(f"alt_{m.id}", m.alt_text) if posted else m.alt_text
            for m in (draft.media if draft is not None else [])}
    removed = {int(v) for v in form.getlist("remove_media") if v.isdigit()} if posted else set()
    new_alt = "\n".join(forms.new_alt_texts(form)).strip() if posted else ""
    return {"media_alts": alts, "removed": removed, "new_alt": new_alt}


def _check(values: dict[str, Any], draft: Draft | None) -> tuple[Any, list[Problem]]:
    """Validate form values against the active (or the draft's own) municipalities and
    initiatives."""
    db = get_session()
    data, errors = clean_draft_input(
        values, zone=current_settings().zone,
        municipalities={m.slug for m in _municipality_choices(db, draft)},
        initiatives={i.slug for i in _initiatives(db)}
        | ({draft.initiative.slug} if draft is not None else set()),
    )
    return data, [(e.field, e.message(lang())) for e in errors]


def _submit(draft: Draft | None) -> Any:
    """Handle a posted draft form: preview, refuse with messages, or save and redirect."""
    db, user, settings = get_session(), _user(), current_settings()
    values = forms.draft_raw(request.form)
    if request.form.get("action") == "preview":
        return _render_form(draft, values, [], previewed=True)
    data, problems = _check(values, draft)
    status = 422
    if data is not None and not _may_use(user, data.initiative):
        problems.append(("initiative", _("You can only choose your own initiatives.")))
        status = 403
    remove: set[int] = set()
    alts: dict[int, str] = {}
    kept = 0
    if draft is not None:
        remove, alts, media_problems = forms.media_changes(request.form, draft)
        problems += media_problems
        kept = len(draft.media) - len(remove)
        if request.form.get("version") != str(draft.version):
            problems.insert(0, ("form", _(
                "Someone else saved this draft while you were editing it. Check the text below "
                "and save again to keep your version.")))
            status = 409
    files = request.files.getlist("images")
    new_media, upload_problems = store_uploads(
        files, forms.new_alt_texts(request.form), settings, settings.images_per_draft - kept)
    problems += upload_problems
    if problems or data is None:
        # Nothing refused is kept: images stored for this form go unless a draft uses them.
        sweep_unreferenced(db, new_media, settings.upload_dir)
        lost = bool(chosen_files(files))
        return _render_form(draft, values, problems, status, uploads_lost=lost)
    now = datetime.now(UTC)
    if draft is None:
        draft = create_draft(db, data, actor=actor(), author_id=user.id, now=now,
                             media=new_media)
        db.commit()
        flash(_("The draft is saved."), "success")
        return redirect(url_for("drafts.detail", id=draft.id))
    before, desired_before = draft.status, draft.desired_at
    try:
        changed = edit_draft(db, draft, data, actor=actor(), now=now, new_media=new_media,
                             remove_media=remove, alt_texts=alts)
    except InQuietPeriod as exc:
        db.rollback()
        sweep_unreferenced(db, new_media, settings.upload_dir)
        return _render_form(draft, values, [("desired_at", _(
            "The new time falls in a quiet period (%(periods)s): nothing is published then. "
            "Choose a time outside it.", periods=", ".join(p.title for p in exc.periods)))],
            409, uploads_lost=bool(chosen_files(files)))
    db.commit()
    if changed and draft.status == "in_review":
        flash(_("Saved as version %(version)s. The content changed, so earlier approvals no "
                "longer count and the approvers have been asked again.", version=draft.version),
              "success")
    elif changed and before != draft.status:
        flash(_("Saved as version %(version)s. The content changed, so the draft is back in "
                "draft status and needs approval again.", version=draft.version), "success")
    elif changed:
        flash(_("Saved as version %(version)s.", version=draft.version), "success")
    elif desired_before != draft.desired_at:
        flash(_("Saved: the desired time is changed."), "success")
    else:
        flash(_("Saved. Nothing was changed."), "success")
    return redirect(url_for("drafts.detail", id=draft.id))


@bp.route("/drafts/new", methods=["GET", "POST"])
@large_body
def new() -> Any:
    """Compose a new draft."""
    user = _user()
    if not user.may_create():
        abort(403)
    choices = _initiative_choices(get_session(), user, None)
    if not choices:
        return render_template("error.html", status=403, title=_("No initiative"), detail=_(
            "You are not attached to any initiative yet. Ask an administrator.")), 403
    if request.method == "POST":
        return _submit(None)
    initial = choices[0].slug if len(choices) == 1 else ""
    return _render_form(None, forms.empty_values(initial), [])


def _load(draft_id: int) -> Draft:
    draft = get_session().get(Draft, draft_id)
    if draft is None:
        abort(404)
    return draft


def _not_editable_message(draft: Draft) -> str:
    return _("This draft is %(status)s and can no longer be edited.",
             status=labels.label(labels.STATUS_LABELS, draft.status).lower())


@bp.route("/drafts/<int:id>/edit", methods=["GET", "POST"])
@large_body
def edit(id: int) -> Any:
    """Edit a draft of one of the user's initiatives."""
    draft = _load(id)
    if not _user().may_edit(draft):
        abort(403)
    if not _editable(draft):
        flash(_not_editable_message(draft), "error")
        if request.method == "POST":
            return _render_detail(draft, 409)
        return redirect(url_for("drafts.detail", id=draft.id))
    if request.method == "POST":
        try:
            return _submit(draft)
        except NotEditable:  # the status changed under us between the check and the save
            get_session().rollback()
            flash(_not_editable_message(draft), "error")
            return _render_detail(draft, 409)
    return _render_form(draft, forms.draft_values(draft, current_settings().zone), [])


# --------------------------------------------------------------------------------------- detail


def _actions(draft: Draft) -> list[str]:
    user = _user()
    if not user.may_edit(draft):
        return []
    return allowed_actions(draft.status, is_admin=user.is_admin)


def _render_detail(draft: Draft, status: int = 200) -> Any:
    db = get_session()
    events = history.events_for(db, draft.id)
    deliveries = deliveries_of(db, draft)
    return render_template(
        "drafts/detail.html", draft=draft, events=events,
        who=history.actor_namer(db, events), describe=history.describe,
        body_html=Markup(render_markdown(draft.body)),  # sanitised by render_markdown
        previews=previews(draft, list(draft.channels or [])), actions=_actions(draft),
        checks=rules.by_channel(rules.check_draft(db, current_settings(), draft))
        if _editable(draft) else {},
        deadline_if_sent=deadlines.deadline_if_sent(db, draft, datetime.now(UTC))
        if "submit" in _actions(draft) else None,
        time_passed=rules.time_problem(draft.desired_at, datetime.now(UTC)) is not None
        and _editable(draft),
        hold=deadlines.hold_of(db, draft),
        share_clicks=clicks.share_clicks(db, draft.id),
        may_edit=_user().may_edit(draft) and _editable(draft),
        deliveries=deliveries, delivery_problem=delivery_problem,
        progress=published.progress(deliveries),
    ), status


@bp.get("/drafts/<int:id>")
def detail(id: int) -> Any:
    """Show a draft, its previews, what can be done with it, and its history."""
    return _render_detail(_load(id))


@bp.post("/drafts/<int:id>/transition", endpoint="transition")
def transition_draft(id: int) -> Any:
    """Move a draft along its lifecycle (submit, approve, withdraw, cancel …)."""
    db = get_session()
    draft = _load(id)
    action = request.form.get("action", "")
    if action not in KNOWN_ACTIONS:
        abort(400)
    try:
        perform(db, draft, action, user=_user(), actor=actor(), now=datetime.now(UTC))
    except ActionRefused as exc:
        db.rollback()
        if exc.status == 403:
            abort(403)
        flash(exc.message(lang()), "error")
        return _render_detail(draft, exc.status)
    except InvalidTransition:
        db.rollback()
        flash(_("“%(action)s” is not possible when the status is: %(status)s.",
                action=labels.label(labels.ACTION_LABELS, action),
                status=labels.label(labels.STATUS_LABELS, draft.status)), "error")
        return _render_detail(draft, 409)
    db.commit()
    flash(_("Done: %(event)s. The status is now: %(status)s.",
            event=labels.label(labels.EVENT_LABELS, action).lower(),
            status=labels.label(labels.STATUS_LABELS, draft.status)), "success")
    return redirect(url_for("drafts.detail", id=draft.id))

