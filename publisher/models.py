"""All tables of the service in one metadata (drafts/ owns the Base; schedules/ adds to it)."""

from __future__ import annotations

import drafts.models  # noqa: F401  (registers the tables)
from drafts.models import Base

metadata = Base.metadata
