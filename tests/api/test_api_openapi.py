"""The generated OpenAPI document: valid, complete, and honest about auth and errors."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import schemathesis
from flask import Flask

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): op for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS}


def test_the_document_is_valid_openapi_3(app: Flask):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()
    assert schema.raw_schema["openapi"] == "3.0.3"


def test_the_validity_check_would_catch_a_broken_document(spec):
    broken = copy.deepcopy(spec)
    broken["paths"]["/api/v1/drafts"]["get"]["responses"] = "none"
    with pytest.raises(Exception, match="responses"):
        schemathesis.openapi.from_dict(broken).validate()


def test_it_documents_every_api_route(app: Flask, spec):
    routes = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api_v1.")
        for method in rule.methods or () if method.lower() in METHODS
    }
    assert set(operations(spec)) == routes
    # drafts (6), reference data (3), approvals (7), media (3), deliveries (5), accounts (4),
    # suggestions (4), the calendar and posting plan (13), subscriptions (8), reach (3)
    assert len(routes) == 56


def test_every_request_body_comes_with_an_example(spec):
    for key, op in operations(spec).items():
        for content_type, body in op.get("requestBody", {}).get("content", {}).items():
            assert "example" in body or "examples" in body, (key, content_type)


def test_it_says_every_operation_needs_a_bearer_token(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API token from `publisher token create`."}
    assert spec["security"] == [{"bearerAuth": []}]
    for op in operations(spec).values():
        assert op["responses"]["401"] == {"$ref": "#/components/responses/UNAUTHORIZED"}


def test_it_documents_errors_as_problem_json(spec):
    for name, response in spec["components"]["responses"].items():
        assert list(response["content"]) == ["application/problem+json"], name
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}


def test_it_documents_validation_errors_wherever_input_is_read(spec):
    for key, op in operations(spec).items():
        if "requestBody" in op or any(p["in"] == "query" for p in op.get("parameters", [])):
            assert "422" in op["responses"], key
        if "requestBody" in op:
            assert "400" in op["responses"], key


def test_it_documents_that_unknown_fields_are_refused(spec):
    schemas = spec["components"]["schemas"]
    for name in ("DraftCreate", "DraftPatch", "Transition"):
        assert schemas[name]["additionalProperties"] is False, name
