"""Serving uploaded media (placeholder)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("media", __name__)
