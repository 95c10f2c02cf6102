"""First-day tests run with a public base URL (so test images are fetchable by Instagram)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import admin_api, api_as  # noqa: F401  (fixtures shared with the API)
from tests.firstday.helpers import PUBLIC_BASE


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "base_url": PUBLIC_BASE}
