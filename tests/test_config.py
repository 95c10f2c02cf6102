"""Settings: defaults, environment overrides, secrets, and clear errors for bad values."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from publisher.config import (
    ConfigError,
    Settings,
    account_credentials,
    load_organisation,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent
KEY = "k" * 40


def test_it_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError) as err:
        load_settings(env={})
    assert "PUBLISHER_SECRET_KEY" in str(err.value)
    assert "required" in str(err.value)


def test_it_refuses_a_short_secret_key():
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(env={"PUBLISHER_SECRET_KEY": "short"})


def test_it_reads_the_secret_key_from_a_file(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    settings = load_settings(env={"PUBLISHER_SECRET_KEY_FILE": str(path)})
    assert settings.secret_key == KEY


def test_it_names_a_secret_file_that_cannot_be_read(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(env={"PUBLISHER_SECRET_KEY_FILE": str(tmp_path / "missing")})
    assert "PUBLISHER_SECRET_KEY_FILE" in str(err.value)


def test_environment_overrides_defaults_with_the_right_type():
    settings = load_settings(env={"PUBLISHER_SECRET_KEY": KEY, "PUBLISHER_PAGE_SIZE": "50",
                                  "PUBLISHER_SESSION_COOKIE_SECURE": "false",
                                  "PUBLISHER_CHANNEL_TIMEOUT": "2.5"})
    assert settings.page_size == 50
    assert settings.session_cookie_secure is False
    assert settings.channel_timeout == 2.5


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("PAGE_SIZE", "many", "whole number"),
        ("PAGE_SIZE", "0", "greater than 0"),
        ("SESSION_COOKIE_SECURE", "maybe", "true or false"),
        ("CHANNEL_TIMEOUT", "soon", "a number"),
        ("DATABASE_URL", "mysql://x/y", "sqlite:// or postgresql://"),
        ("BASE_URL", "example.org", "http(s) URL"),
        ("FACEBOOK_GRAPH_URL", "ftp://graph", "http(s) URL"),
        ("TIMEZONE", "Europe/Atlantis", "unknown time zone"),
        ("DEFAULT_LOCALE", "fr", "must be one of"),
        ("SMTP_TLS", "maybe", "none, starttls or ssl"),
        ("SMTP_PORT", "70000", "between 1 and 65535"),
    ],
)
def test_it_names_a_malformed_setting_and_says_what_is_wrong(name, value, problem):
    with pytest.raises(ConfigError) as err:
        load_settings(env={"PUBLISHER_SECRET_KEY": KEY, f"PUBLISHER_{name}": value})
    assert f"PUBLISHER_{name}" in str(err.value)
    assert problem in str(err.value)


def test_example_env_documents_every_setting():
    text = (ROOT / "config" / "example.env").read_text()
    names = set(re.findall(r"^#?\s*PUBLISHER_([A-Z_]+)=", text, re.M))
    documented = names | {n.removesuffix("_FILE") for n in names}
    expected = {f.name.upper() for f in fields(Settings)}
    assert expected - documented == set()


def test_organisation_file_lists_nine_municipalities_and_three_initiatives():
    org = load_organisation(ROOT / "config" / "organisation.toml")
    assert len(org.municipalities) == 9
    assert {i["slug"]: i["home_municipality"] for i in org.initiatives} == {
        "music": "roskilde", "youth": "albertslund", "culture-health": "ishoj"}


def test_it_refuses_an_organisation_file_with_an_unknown_home_municipality(tmp_path):
    path = tmp_path / "org.toml"
    path.write_text('[organisation]\nname="X"\n[[municipalities]]\nslug="a"\nname="A"\n'
                    '[[initiatives]]\nslug="i"\nname="I"\nhome_municipality="nowhere"\n')
    with pytest.raises(ConfigError, match="unknown municipality 'nowhere'"):
        load_organisation(path)


def test_it_refuses_an_organisation_file_that_is_not_toml(tmp_path):
    path = tmp_path / "org.toml"
    path.write_text("[organisation\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_organisation(path)


def test_account_credentials_come_from_prefixed_variables_and_files(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    env = {"PUBLISHER_CRED_KMP_FACEBOOK_ACCESS_TOKEN": "abc",
           "PUBLISHER_CRED_KMP_X_BEARER_TOKEN_FILE": str(secret),
           "PUBLISHER_CRED_OTHER_ACCESS_TOKEN": "not-mine"}
    assert account_credentials("kmp_facebook", env) == {"access_token": "abc"}
    assert account_credentials("KMP_X", env) == {"bearer_token": "from-file"}


def test_settings_repr_never_shows_secrets():
    settings = load_settings(env={"PUBLISHER_SECRET_KEY": KEY,
                                  "PUBLISHER_SMTP_PASSWORD": "hunter2hunter2"})
    assert KEY not in repr(settings)
    assert "hunter2hunter2" not in repr(settings)
