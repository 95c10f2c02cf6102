"""Administration (placeholder until the admin screens land)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template_string

from publisher.auth import admin_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@admin_required
def index() -> Any:
    return render_template_string("{% extends 'base.html' %}{% block content %}<h1>Admin</h1>{% endblock %}")
