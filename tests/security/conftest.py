"""The security tests use the approval tests' real SMTP server (aiosmtpd) and read helper."""

from __future__ import annotations

from tests.approvals.conftest import app_config, peek, smtp

__all__ = ["app_config", "peek", "smtp"]
