"""Reference data: the organisation's municipalities and initiatives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from drafts.models import Initiative, Municipality
from publisher.api import present
from publisher.api.base import bp, documented
from publisher.api.schemas import InitiativeSchema, MunicipalitySchema, ReferenceFilterSchema
from publisher.db import get_session


@bp.route("/municipalities", methods=["GET"], tags=["reference"])
@bp.arguments(ReferenceFilterSchema, location="query")
@bp.response(200, MunicipalitySchema(many=True))
@documented(401)
@bp.doc(operationId="listMunicipalities")
def list_municipalities(args: dict[str, Any]) -> Any:
    """List municipalities (active ones unless all=true), by name."""
    query = select(Municipality).order_by(Municipality.name, Municipality.id)
    if not args["all"]:
        query = query.where(Municipality.active.is_(True))
    return [present.municipality(m) for m in get_session().scalars(query)]


@bp.route("/initiatives", methods=["GET"], tags=["reference"])
@bp.arguments(ReferenceFilterSchema, location="query")
@bp.response(200, InitiativeSchema(many=True))
@documented(401)
@bp.doc(operationId="listInitiatives")
def list_initiatives(args: dict[str, Any]) -> Any:
    """List initiatives (active ones unless all=true), by name."""
    query = (select(Initiative).options(selectinload(Initiative.home_municipality))
             .order_by(Initiative.name, Initiative.id))
    if not args["all"]:
        query = query.where(Initiative.active.is_(True))
    return [present.initiative(i) for i in get_session().scalars(query)]
