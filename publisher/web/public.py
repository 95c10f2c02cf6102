"""The public site: published articles and events, upcoming events, and the public feeds.

Nothing here needs a login. Pages read the public record (publisher.flows.feeds), so an item is
shown from its publishing time and answers 410 Gone once withdrawn. Feeds carry strong ETags and
Last-Modified and answer conditional requests with 304.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from drafts.models import Initiative, Municipality
from publisher.auth import public
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows.feeds.filters import Filter, FilterError, make_filter
from publisher.flows.feeds.formats import FORMATS, FeedContext, Rendered
from publisher.flows.feeds.items import item_path, slugify, upcoming_events
from publisher.flows.feeds.models import PublicItem
from publisher.flows.feeds.serve import FeedCache, feed
from publisher.i18n import lang

bp = Blueprint("public", __name__)

# The public menu: (endpoint, label). The app's registration passes further pages (the
# newsletter sign-up, the suggestion form) to `init_app` explicitly; nothing is added on import.
PUBLIC_MENU: tuple[tuple[str, Any], ...] = (
    ("public.index", _l("News")),
    ("public.events", _l("Events")),
    ("public.feeds_help", _l("Feeds and calendars")),
)


def when(value: datetime | None, part: str = "datetime") -> str:
    """A date (and time) for people, in the language's own words: "1. maj 2030 kl. 20.00"."""
    if value is None:
        return ""
    if part == "date":
        return format_datetime(value, _("d MMMM y"))
    if part == "time":
        return format_datetime(value, _("HH:mm"))
    return format_datetime(value, _("EEEE d MMMM y, HH:mm"))


def init_app(app: Flask, more_menu: tuple[tuple[str, Any], ...] = ()) -> None:
    """Register the public blueprint, its menu (plus `more_menu`) and its feed cache."""
    app.register_blueprint(bp)
    app.jinja_env.filters["when"] = when
    app.extensions["feed_cache"] = FeedCache()
    menu = PUBLIC_MENU + tuple(more_menu)
    app.jinja_env.globals["public_menu"] = lambda: [(e, str(label)) for e, label in menu]


def now_utc() -> datetime:
    return datetime.now(UTC)


def base_url() -> str:
    return str(current_settings().base_url).rstrip("/")


def item_url(item: PublicItem) -> str:
    """The item's lasting public address (from the base URL setting, not the request's host)."""
    return base_url() + item_path(item)


def image_url(item: PublicItem) -> str | None:
    image = item.facts.get("image")
    if not image:
        return None
    return base_url() + url_for("media.serve", name=image["stored_name"])


def _names() -> tuple[dict[str, str], dict[str, Initiative]]:
    db = get_session()
    munis = {m.slug: m.name for m in db.scalars(select(Municipality))}
    inits = {i.slug: i for i in db.scalars(select(Initiative))}
    return munis, inits


def _feed_title(wanted: Filter) -> str:
    munis, inits = _names()
    parts = [munis.get(s, s) for s in wanted.municipalities]
    parts += [inits[s].label(lang()) if s in inits else s for s in wanted.initiatives]
    kinds = {"article": _("Articles"), "event": _("Events")}
    parts += [kinds[k] for k in wanted.kinds]
    org = current_app.extensions["organisation"].name
    return f"{org}: " + (", ".join(parts) if parts else _("everything published"))


def feed_context(wanted: Filter, self_url: str) -> FeedContext:
    settings = current_settings()
    org = current_app.extensions["organisation"].name
    return FeedContext(
        title=_feed_title(wanted),
        description=_("Articles and events published by %(org)s", org=org),
        home_url=base_url() + url_for("public.index"), self_url=self_url, language=lang(),
        zone=settings.zone, author=org, item_url=item_url, image_url=image_url)


def parse_filter(args: Any, *, upcoming: bool = False) -> Filter:
    munis, inits = _names()
    return make_filter(args.getlist, municipalities=set(munis), initiatives=set(inits),
                       upcoming=upcoming)


def conditional(rendered: Rendered, cache_control: str) -> Response:
    """The feed, or 304 when the client's ETag (or date) shows it has these bytes already."""
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control,
               "X-Content-Type-Options": "nosniff", "Vary": "Accept-Language, Cookie"}
    if rendered.last_modified is not None:
        headers["Last-Modified"] = _http_date(rendered.last_modified)
    if _not_modified(rendered):
        return Response(status=304, headers=headers)
    return Response(rendered.body, status=200, headers=headers, content_type=rendered.mimetype)


def _http_date(value: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _not_modified(rendered: Rendered) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return "*" in tags or rendered.etag in tags  # strong comparison: W/ tags never match
    since = request.if_modified_since
    if since is not None and rendered.last_modified is not None:
        return rendered.last_modified.replace(microsecond=0) <= since
    return False


def serve_feed(fmt: str, wanted: Filter, self_url: str, *, cache: bool = True,
               cache_control: str = "public, max-age=60") -> Response:
    rendered = feed(get_session(), fmt, wanted, lambda: feed_context(wanted, self_url),
                    now_utc(), current_app.extensions["feed_cache"] if cache else None,
                    cache_key=lang())
    return conditional(rendered, cache_control)


def _bad_filter(exc: FilterError) -> Response:
    names = {"municipality": _("municipality"), "initiative": _("initiative"),
             "kind": _("kind")}
    message = _("Unknown %(field)s in the feed address: %(value)s",
                field=names.get(exc.field, exc.field), value=exc.value)
    return Response(message + "\n", status=400, content_type="text/plain; charset=utf-8")


@bp.get("/feeds/<fmt>")
@public
def feeds(fmt: str) -> Any:
    """A public feed: /feeds/atom|rss|json|ics?municipality=…&initiative=…&kind=…"""
    if fmt not in FORMATS:
        abort(404)
    try:
        wanted = parse_filter(request.args)
    except FilterError as exc:
        return _bad_filter(exc)
    return serve_feed(fmt, wanted, base_url() + request.full_path.rstrip("?"))


@bp.get("/m/<slug>/feed.<fmt>")
@public
def municipality_feed(slug: str, fmt: str) -> Any:
    """A municipality's feed at a short address (the same bytes as ?municipality=slug)."""
    if fmt not in FORMATS:
        abort(404)
    try:
        wanted = make_filter(lambda name: [slug] if name == "municipality" else [],
                             municipalities=set(_names()[0]), initiatives=set())
    except FilterError:
        abort(404)
    return serve_feed(fmt, wanted, base_url() + request.path)


def feed_links(wanted: Filter | None = None) -> list[dict[str, str]]:
    """Autodiscovery links for a page: one per format, with the page's filter."""
    params: dict[str, Any] = {}
    if wanted is not None:
        params = {k: list(v) for k, v in (("municipality", wanted.municipalities),
                                          ("initiative", wanted.initiatives),
                                          ("kind", wanted.kinds)) if v}
    labels = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed", "ics": "iCalendar"}
    return [{"type": FORMATS[f].split(";")[0], "title": labels[f],
             "href": url_for("public.feeds", fmt=f, **params), "format": f} for f in FORMATS]


@bp.get("/news")
@public
def index() -> Any:
    """The newest public articles and events."""
    from publisher.flows.feeds.items import live_items

    items = live_items(get_session(), limit=30)
    return render_template("public/index.html", items=items, feed_links=feed_links(),
                           item_href=_href)


def _href(item: PublicItem) -> str:
    return url_for("public.item", item_id=item.id, slug=slugify(item.title))


@bp.get("/items/<int:item_id>")
@bp.get("/items/<int:item_id>/<slug>")
@public
def item(item_id: int, slug: str = "") -> Any:
    """One article or event; 410 Gone once withdrawn."""
    found = get_session().get(PublicItem, item_id)
    if found is None:
        abort(404)
    if found.withdrawn_at is not None:
        return render_template("public/gone.html"), 410
    return render_template("public/item.html", item=found, url=item_url(found),
                           image=image_url(found), json_ld=event_json_ld(found),
                           feed_links=feed_links(Filter(municipalities=tuple(
                               found.municipalities))))


def event_json_ld(found: PublicItem) -> dict[str, Any] | None:
    """schema.org Event for an event's page."""
    if found.kind != "event" or found.event_start is None:
        return None
    zone = current_settings().zone
    facts = found.facts
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Event", "name": found.title,
        "description": found.summary, "url": item_url(found),
        "startDate": found.event_start.astimezone(zone).isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "organizer": {"@type": "Organization",
                      "name": current_app.extensions["organisation"].name,
                      "url": base_url() + url_for("public.index")},
        "location": {"@type": "Place", "name": facts.get("venue") or facts.get("address", ""),
                     "address": facts.get("address") or facts.get("venue", "")},
    }
    if found.event_end is not None:
        data["endDate"] = found.event_end.astimezone(zone).isoformat()
    if image_url(found):
        data["image"] = [image_url(found)]
    if facts.get("ticket_url") or facts.get("price"):
        offer: dict[str, Any] = {"@type": "Offer",
                                 "url": facts.get("ticket_url") or item_url(found)}
        if facts.get("price"):
            offer["description"] = facts["price"]
        data["offers"] = offer
    if facts.get("audience"):
        data["audience"] = {"@type": "Audience", "audienceType": facts["audience"]}
    return data


def _events_page(wanted: Filter, heading: str) -> Any:
    events = [e for e in upcoming_events(get_session(), now_utc()) if wanted.matches(e, now_utc())]
    ics = {k: list(v) for k, v in (("municipality", wanted.municipalities),
                                   ("initiative", wanted.initiatives)) if v}
    return render_template("public/events.html", events=events, heading=heading,
                           feed_links=feed_links(Filter(wanted.municipalities,
                                                        wanted.initiatives, ("event",))),
                           ics_url=url_for("public.feeds", fmt="ics", **ics),  # type: ignore[arg-type]
                           item_href=_href)


@bp.get("/events")
@public
def events() -> Any:
    """Upcoming events, for everyone."""
    return _events_page(Filter(), _("Upcoming events"))


@bp.get("/events/municipality/<slug>")
@public
def municipality_events(slug: str) -> Any:
    """Upcoming events in one municipality."""
    name = _names()[0].get(slug)
    if name is None:
        abort(404)
    return _events_page(Filter(municipalities=(slug,)),
                        _("Upcoming events in %(name)s", name=name))


@bp.get("/events/initiative/<slug>")
@public
def initiative_events(slug: str) -> Any:
    """Upcoming events of one initiative."""
    initiative = _names()[1].get(slug)
    if initiative is None:
        abort(404)
    return _events_page(Filter(initiatives=(slug,)),
                        _("Upcoming events: %(name)s", name=initiative.label(lang())))


@bp.get("/feeds")
@public
def feeds_help() -> Any:
    """How to follow: every feed, per municipality and initiative, with a filter builder."""
    munis, inits = _names()
    return render_template("public/feeds.html", feed_links=feed_links(), municipalities=munis,
                           initiatives=sorted(inits.values(), key=lambda i: i.label(lang())),
                           base=base_url(), formats=list(FORMATS))


