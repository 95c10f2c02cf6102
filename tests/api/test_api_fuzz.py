"""Schemathesis fuzzes every documented operation against the real app with an admin token.

Checks: no 5xx, and every response (status code, content type, headers, body) is the one the
OpenAPI document promises. Both schema-conforming and deliberately invalid requests are sent.
The examples are derandomised so CI runs the same requests every time; the counts per operation
are printed at the end of the pytest run.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from drafts.models import User
from publisher import create_app
from tests.api.helpers import arrange_draft, issue_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


SPEC_APP = create_app({"database_url": "sqlite://", "secret_key": "spec-only-" + "0" * 40,
                       "log_format": "text", "log_level": "WARNING", "TESTING": True})
# The document does not depend on the data, so it is read once from an app without a database;
# every operation is then fuzzed against the test's own app with its own fresh database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", SPEC_APP)


@pytest.fixture
def admin_token(db: Session, admin: User) -> str:
    """An admin's token, and a few drafts in different states for the fuzzer to find by id."""
    arrange_draft(db, admin, title="Udkast")
    event = arrange_draft(db, admin, title="Arrangement", kind="event",
                          event_start="2025-06-01T18:00", initiative="youth")
    event.status = "in_review"
    done = arrange_draft(db, admin, title="Aflyst")
    done.status = "cancelled"
    db.commit()
    return issue_token(db, admin)


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_survives_fuzzing(case: Any, app: Flask, admin_token: str,
                                          fuzz_counts: Counter[str]) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"},
                                      checks=CHECKS, app=app)
    fuzz_counts[f"{case.operation.label} {response.status_code}"] += 1
