"""All tables of the service in one metadata (drafts/ owns the Base; schedules/ adds to it)."""

from __future__ import annotations

from drafts import approvals, mailbox, models, suggestions, tracking
from publisher.flows.feeds import models as feed_models
from publisher.flows.reach import models as reach_models
from schedules import models as schedule_models
from schedules import plan

# The modules that define tables: a table is in the metadata once its module is loaded, so the
# metadata below is complete only with every one of them listed here.
TABLE_MODULES = (models, approvals, mailbox, suggestions, tracking, schedule_models, plan,
                 feed_models, reach_models)
metadata = models.Base.metadata
