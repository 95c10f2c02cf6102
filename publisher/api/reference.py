"""Reference data: the organisation's municipalities, initiatives and approvers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from drafts.models import Approver, Initiative, Municipality
from publisher.api import present
from publisher.api.base import bp, documented
from publisher.api.schemas import (
    ApproverSchema,
    InitiativeSchema,
    MunicipalitySchema,
    ReferenceFilterSchema,
)
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


@bp.route("/approvers", methods=["GET"], tags=["reference"])
@bp.arguments(ReferenceFilterSchema, location="query")
@bp.response(200, ApproverSchema(many=True))
@documented(401)
@bp.doc(operationId="listApprovers")
def list_approvers(args: dict[str, Any]) -> Any:
    """List approvers (active ones unless all=true): who can be asked, for approval policies."""
    query = (select(Approver).options(selectinload(Approver.municipality))
             .order_by(Approver.name, Approver.id))
    if not args["all"]:
        query = query.where(Approver.active.is_(True))
    return [present.approver(a) for a in get_session().scalars(query)]
