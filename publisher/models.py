"""All tables of the service in one metadata (drafts/ owns the Base; schedules/ adds to it)."""

from __future__ import annotations

import drafts.approvals  # noqa: F401  (approval policies and requests)
import drafts.mailbox  # noqa: F401  (the mail outbox)
import drafts.models  # noqa: F401  (registers the tables)
import drafts.suggestions  # noqa: F401  (activity suggestions, public form counts)
import drafts.tracking  # noqa: F401  (tracked share links)
import schedules.models  # noqa: F401
import schedules.plan  # noqa: F401  (posting plan, quiet periods, calendar feeds)
from drafts.models import Base

metadata = Base.metadata
