"""Configuration: development needs nothing set; mistakes end in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from registration import config
from registration.config import ConfigurationError

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_environment(monkeypatch):
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "BASE_URL",
        "REGISTRATION_ENV",
        "MAIL_SERVER",
        "TRUSTED_PROXY_HOPS",
        "RATELIMIT_ENABLED",
        "RATELIMIT_STORAGE_URI",
        "MAIL_TIMEOUT",
        "MAIL_LEASE_SECONDS",
        "INSTANCE_PATH",
        "ORGANISATION_FILE",
        "RETENTION_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_defaults_need_no_variables(clean_environment, tmp_path):
    settings = config.load(tmp_path)
    assert settings["REGISTRATION_ENV"] == "development"
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'registration.sqlite3'}"
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["RATELIMIT_ENABLED"] is True
    assert settings["TRUSTED_PROXY_HOPS"] == 0
    assert settings["MAIL_SERVER"] is None
    assert (settings["MAIL_TIMEOUT"], settings["MAIL_LEASE_SECONDS"]) == (60, 900)
    assert settings["MAIL_FINAL_REPLY_TIMEOUT"] == 600  # RFC 5321's ten minutes


def test_the_instance_folder_is_instance_in_the_current_directory(clean_environment, tmp_path):
    """So an installed service keeps its data where it is started, not in its virtualenv."""
    clean_environment.chdir(tmp_path)
    assert config.instance_folder() == tmp_path / "instance"


def test_instance_path_names_another_instance_folder(clean_environment, tmp_path):
    (tmp_path / "service").mkdir()
    clean_environment.chdir(tmp_path / "service")
    clean_environment.setenv("INSTANCE_PATH", str(tmp_path / "data"))
    assert config.instance_folder() == tmp_path / "data"
    clean_environment.setenv("INSTANCE_PATH", "relative")  # to the current directory
    assert config.instance_folder() == tmp_path / "service" / "relative"


def test_development_secret_key_is_generated_once_and_kept(clean_environment, tmp_path):
    first = config.load(tmp_path)["SECRET_KEY"]
    second = config.load(tmp_path)["SECRET_KEY"]
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret_key(clean_environment, tmp_path):
    clean_environment.setenv("REGISTRATION_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        config.load(tmp_path)


def test_production_refuses_a_secret_key_shorter_than_32_bytes(clean_environment, tmp_path):
    clean_environment.setenv("REGISTRATION_ENV", "production")
    clean_environment.setenv("SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short"):
        config.load(tmp_path)
    clean_environment.setenv("SECRET_KEY", "ż" * 16)  # 32 bytes in UTF-8
    assert config.load(tmp_path)["SECRET_KEY"] == "ż" * 16


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@db/k", "postgresql+psycopg://u@db/k"),
        ("postgres://u@db/k", "postgresql+psycopg://u@db/k"),
        ("postgresql+psycopg://u@db/k", "postgresql+psycopg://u@db/k"),
        ("sqlite:////var/lib/k.sqlite3", "sqlite:////var/lib/k.sqlite3"),
    ],
)
def test_database_urls_are_accepted_for_both_backends(clean_environment, tmp_path, url, expected):
    clean_environment.setenv("DATABASE_URL", url)
    assert config.load(tmp_path)["SQLALCHEMY_DATABASE_URI"] == expected


@pytest.mark.parametrize("url", ["mysql://root@localhost/k", "mongodb://x", "not a url"])
def test_unknown_database_scheme_is_refused(clean_environment, tmp_path, url):
    clean_environment.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigurationError, match="unsupported scheme"):
        config.load(tmp_path)


def test_nonsense_numbers_are_refused(clean_environment, tmp_path):
    clean_environment.setenv("TRUSTED_PROXY_HOPS", "two")
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_HOPS"):
        config.load(tmp_path)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf"])
def test_mail_timeout_must_be_a_positive_number_of_seconds(clean_environment, tmp_path, value):
    clean_environment.setenv("MAIL_TIMEOUT", value)
    with pytest.raises(ConfigurationError, match="MAIL_TIMEOUT must be a positive number"):
        config.load(tmp_path)


def test_mail_timeout_and_lease_take_fractions_of_seconds(clean_environment, tmp_path):
    clean_environment.setenv("MAIL_TIMEOUT", "0.5")
    clean_environment.setenv("MAIL_LEASE_SECONDS", "6.5")
    settings = config.load(tmp_path)
    assert (settings["MAIL_TIMEOUT"], settings["MAIL_LEASE_SECONDS"]) == (0.5, 6.5)


@pytest.mark.parametrize(
    ("timeout", "lease"), [("30", "30"), ("60", "45"), (None, "20"), (None, "720"), ("1", "12")]
)
def test_a_lease_shorter_than_one_message_can_take_is_refused(
    clean_environment, tmp_path, timeout, lease
):
    """A message's claim must outlast its conversation with the SMTP server: a few
    commands and the final reply, which is waited for ten times as long."""
    if timeout is not None:
        clean_environment.setenv("MAIL_TIMEOUT", timeout)
    clean_environment.setenv("MAIL_LEASE_SECONDS", lease)
    with pytest.raises(ConfigurationError, match=r"MAIL_LEASE_SECONDS .* must be longer than"):
        config.load(tmp_path)


def _flask(environment: dict, *arguments: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "REGISTRATION_ENV")
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.processes
@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/k"}, "unsupported scheme 'mysql'"),
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"}, "cannot reach the database"),
        ({"REGISTRATION_ENV": "production"}, "SECRET_KEY is not set"),
        (
            {"REGISTRATION_ENV": "production", "SECRET_KEY": "changeme"},
            "SECRET_KEY is too short",
        ),
    ],
    ids=[
        "unknown-scheme",
        "unreachable-database",
        "production-without-secret",
        "production-with-short-secret",
    ],
)
def test_bad_configuration_ends_with_one_clear_line(environment, message):
    """An operator sees what to fix, not a traceback."""
    result = _flask(environment, "db", "current")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert message in lines[0]


def test_retention_is_two_years_unless_set(clean_environment, tmp_path):
    assert config.load(tmp_path)["RETENTION_DAYS"] == 730
    clean_environment.setenv("RETENTION_DAYS", "365")
    assert config.load(tmp_path)["RETENTION_DAYS"] == 365


@pytest.mark.parametrize("value", ["0", "-5", "two years"])
def test_retention_must_be_a_positive_number_of_days(clean_environment, tmp_path, value):
    clean_environment.setenv("RETENTION_DAYS", value)
    with pytest.raises(ConfigurationError, match="RETENTION_DAYS"):
        config.load(tmp_path)


def test_the_organisation_file_is_read_from_the_instance_folder(clean_environment, tmp_path):
    assert config.load(tmp_path)["ORGANISATION"] == {}
    (tmp_path / "organisation.toml").write_text('[accessibility]\nstatus = "partial"\n')
    assert config.load(tmp_path)["ORGANISATION"] == {"accessibility": {"status": "partial"}}


def test_organisation_file_names_another_file(clean_environment, tmp_path):
    other = tmp_path / "koalicja.toml"
    other.write_text('[[data_controller]]\nkey = "ikm"\n')
    clean_environment.setenv("ORGANISATION_FILE", str(other))
    assert config.load(tmp_path)["ORGANISATION"] == {"data_controller": [{"key": "ikm"}]}


def test_an_organisation_file_that_cannot_be_read_is_named(clean_environment, tmp_path):
    clean_environment.setenv("ORGANISATION_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigurationError, match=r"missing\.toml cannot be read"):
        config.load(tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text("[[data_controller]\nkey = ")
    clean_environment.setenv("ORGANISATION_FILE", str(broken))
    with pytest.raises(ConfigurationError, match=r"broken\.toml is not valid TOML"):
        config.load(tmp_path)
