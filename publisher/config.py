"""Settings: config/defaults.toml, then PUBLISHER_* environment variables; secrets from env only.

Every setting has a type taken from its default. A value that cannot be read as that type, or a
missing required secret, stops start-up with a `ConfigError` naming the setting and the problem.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from channels.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(os.environ.get("PUBLISHER_CONFIG_DIR", ROOT / "config"))
PREFIX = "PUBLISHER_"

# Settings that are secrets: never in a file of ours, never logged, only PUBLISHER_<NAME> or
# PUBLISHER_<NAME>_FILE.
SECRETS = ("secret_key", "smtp_password")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says what is wrong."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{PREFIX}{name.upper()}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True)
class Settings:
    """All settings of one running service."""

    database_url: str
    base_url: str
    timezone: str
    default_locale: str
    locales: str
    upload_dir: str
    max_upload_bytes: int
    max_image_pixels: int
    min_image_side: int
    max_image_side: int
    images_per_draft: int
    page_size: int
    session_cookie_secure: bool
    login_max_failures: int
    login_window_seconds: int
    log_format: str
    log_level: str
    demo_mode: bool
    facebook_graph_url: str
    instagram_graph_url: str
    graph_version: str
    mailchimp_api_url: str
    wordpress_url: str
    x_api_url: str
    channel_timeout: float
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    smtp_username: str
    mail_from: str
    approval_link_days: int
    worker_max_attempts: int
    worker_backoff_base: float
    worker_backoff_cap: float
    worker_max_lateness: float
    worker_lease_seconds: float
    worker_pool_size: int
    worker_account_concurrency: int
    worker_account_rate: float
    worker_token_warning_days: float
    public_form_limit: int = 5
    public_form_window_minutes: int = 60
    suggestion_contact_days: int = 30
    secret_key: str = field(repr=False, default="")
    smtp_password: str = field(repr=False, default="")
    organisation_file: str = ""
    # feeds and subscriptions
    webhook_allow_networks: str = ""  # CIDRs webhooks may reach although not public
    webhook_timeout: float = 10.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def locale_list(self) -> list[str]:
        return [x.strip() for x in self.locales.split(",") if x.strip()]


def _coerce(name: str, raw: str, default: Any) -> Any:
    """Read an environment string as the type of the setting's default."""
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ConfigError(name, f"expected true or false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(name, f"expected a number, got {raw!r}") from None
    return raw


def _secret(name: str, env: dict[str, str]) -> str:
    """A secret from PUBLISHER_<NAME> or the file named by PUBLISHER_<NAME>_FILE."""
    key = PREFIX + name.upper()
    path = env.get(key + "_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(name + "_file", f"cannot read {path}: {exc.strerror}") from None
    return env.get(key, "")


def _read_toml(path: Path, name: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(name, f"file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, f"{path} is not valid TOML: {exc}") from None


def load_settings(
    env: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Build the settings from defaults, the environment and explicit overrides (tests)."""
    env = dict(os.environ if env is None else env)
    overrides = overrides or {}
    defaults = _read_toml(CONFIG_DIR / "defaults.toml", "config_dir")
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    for key, default in defaults.items():
        if key not in known:
            raise ConfigError(key, "unknown setting in defaults.toml")
        raw = env.get(PREFIX + key.upper())
        values[key] = default if raw is None else _coerce(key, raw, default)
    for name in SECRETS:
        values[name] = _secret(name, env)
    values["organisation_file"] = env.get(
        PREFIX + "ORGANISATION_FILE", str(CONFIG_DIR / "organisation.toml")
    )
    values.update(overrides)
    settings = Settings(**values)
    check_settings(settings)
    return settings


def check_settings(s: Settings) -> None:
    """Refuse settings the service cannot run with, naming the setting."""
    if not s.secret_key:
        raise ConfigError(
            "secret_key",
            "is required (set PUBLISHER_SECRET_KEY or PUBLISHER_SECRET_KEY_FILE; "
            'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))")',
        )
    if len(s.secret_key) < 32:
        raise ConfigError("secret_key", "must be at least 32 characters long")
    scheme = s.database_url.split(":", 1)[0]
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg"):
        raise ConfigError("database_url", "must start with sqlite:// or postgresql://")
    for name in ("base_url", *(row.base_url_setting for row in REGISTRY.values())):
        parts = urlsplit(getattr(s, name))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(name, f"must be an http(s) URL, got {getattr(s, name)!r}")
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"unknown time zone {s.timezone!r}") from None
    if s.default_locale not in s.locale_list:
        raise ConfigError("default_locale", f"must be one of {s.locales}")
    if not set(s.locale_list) <= {"da", "en"}:
        raise ConfigError("locales", "only da and en are translated")
    if s.smtp_tls not in ("none", "starttls", "ssl"):
        raise ConfigError("smtp_tls", "must be none, starttls or ssl")
    try:
        for part in s.webhook_allow_networks.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
    except ValueError:
        raise ConfigError("webhook_allow_networks",
                          "must be IP networks separated by commas, e.g. 10.1.0.0/16") from None
    if not 0 < s.webhook_timeout <= 60:
        raise ConfigError("webhook_timeout", "must be more than 0 and at most 60 seconds")
    if s.log_format not in ("json", "text"):
        raise ConfigError("log_format", "must be json or text")
    for name in ("max_upload_bytes", "page_size", "login_max_failures", "images_per_draft"):
        if getattr(s, name) <= 0:
            raise ConfigError(name, "must be greater than 0")
    if not 0 < s.min_image_side <= s.max_image_side:
        raise ConfigError("min_image_side", "must be greater than 0 and at most max_image_side")
    for name in ("worker_max_attempts", "worker_pool_size", "worker_account_concurrency"):
        if getattr(s, name) < 1:
            raise ConfigError(name, "must be at least 1")
    for name in ("worker_backoff_base", "worker_backoff_cap", "worker_max_lateness",
                 "worker_lease_seconds", "worker_account_rate"):
        if getattr(s, name) <= 0:
            raise ConfigError(name, "must be greater than 0")
    if s.worker_lease_seconds < 6:
        raise ConfigError("worker_lease_seconds", "must be at least 6 (a heartbeat renews it "
                          "every third; shorter leases expire under ordinary load)")
    if not 1 <= s.smtp_port <= 65535:
        raise ConfigError("smtp_port", "must be between 1 and 65535")
    for name in ("public_form_limit", "public_form_window_minutes", "suggestion_contact_days"):
        if getattr(s, name) < 1:
            raise ConfigError(name, "must be at least 1")
    if not 1 <= s.approval_link_days <= 90:
        raise ConfigError("approval_link_days", "must be between 1 and 90")


@dataclass(frozen=True)
class Organisation:
    """The organisation from organisation.toml: name, municipalities, initiatives, accounts."""

    name: str
    short_name: str
    website: str
    secretariat_email: str
    municipalities: list[dict[str, Any]]
    initiatives: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    approvers: list[dict[str, Any]]


def load_organisation(path: str | Path) -> Organisation:
    """Read and check the organisation file."""
    data = _read_toml(Path(path), "organisation_file")
    org = data.get("organisation")
    if not isinstance(org, dict) or not org.get("name"):
        raise ConfigError("organisation_file", f"{path}: [organisation] needs a name")
    municipalities = data.get("municipalities", [])
    slugs = [m.get("slug") for m in municipalities]
    if not municipalities or any(not s for s in slugs) or len(set(slugs)) != len(slugs):
        raise ConfigError(
            "organisation_file", f"{path}: every [[municipalities]] needs a unique slug"
        )
    for ini in data.get("initiatives", []):
        if not ini.get("slug") or not ini.get("name"):
            raise ConfigError("organisation_file", f"{path}: initiatives need slug and name")
        home = ini.get("home_municipality")
        if home and home not in slugs:
            raise ConfigError(
                "organisation_file",
                f"{path}: initiative {ini['slug']!r} names unknown municipality {home!r}",
            )
    return Organisation(
        name=org["name"],
        short_name=str(org.get("short_name", org["name"])),
        website=org.get("website", ""),
        secretariat_email=org.get("secretariat_email", ""),
        municipalities=municipalities,
        initiatives=data.get("initiatives", []),
        accounts=data.get("accounts", []),
        approvers=data.get("approvers", []),
    )


def account_credentials(prefix: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Credentials for one channel account from PUBLISHER_CRED_<PREFIX>_<KEY> (or _FILE)."""
    env = dict(os.environ if env is None else env)
    head = f"{PREFIX}CRED_{prefix.upper()}_"
    creds: dict[str, str] = {}
    for key, value in env.items():
        if not key.startswith(head):
            continue
        name = key[len(head) :].lower()
        if name.endswith("_file"):
            try:
                creds[name[:-5]] = Path(value).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(key[len(PREFIX) :], f"cannot read {value}: {exc}") from None
        else:
            creds.setdefault(name, value)
    return creds


def current_settings() -> Settings:
    """The settings of the app serving this request or command (needs an app context)."""
    found: Settings = current_app.extensions["publisher_settings"]
    return found


def current_organisation() -> Organisation:
    """The organisation of the app serving this request or command (needs an app context)."""
    found: Organisation = current_app.extensions["organisation"]
    return found
