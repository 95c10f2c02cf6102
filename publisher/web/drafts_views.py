"""The draft queue (placeholder until the queue screens land)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template_string

bp = Blueprint("drafts", __name__)


@bp.get("/queue")
def queue() -> Any:
    return render_template_string("{% extends 'base.html' %}{% block content %}<h1>Kø</h1>{% endblock %}")


@bp.get("/drafts/new")
def new() -> Any:
    return render_template_string("{% extends 'base.html' %}{% block content %}<h1>Ny</h1>{% endblock %}")
