"""deploy/gunicorn.conf.py, read by gunicorn's own configuration code: where it listens,
how many workers, its timeouts, and what it must not do (log paths, trust forwarded
headers on its own)."""

from __future__ import annotations

import os

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config

from tests.deploy.units import DEPLOY


class _Settings(Application):
    """gunicorn's Application, reduced to reading one config file."""

    def __init__(self) -> None:  # no command line to parse
        self.usage = self.prog = self.callable = None
        self.cfg = Config()

    def load_config(self) -> None:
        self.load_config_from_file(str(DEPLOY / "gunicorn.conf.py"))

    def load(self):  # pragma: no cover - nothing is served
        raise NotImplementedError


def settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> Config:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    application = _Settings()
    application.load_config()
    return application.cfg


def test_it_listens_on_loopback_port_8000_unless_told(monkeypatch):
    assert settings(monkeypatch).bind == ["127.0.0.1:8000"]
    told = settings(monkeypatch, GUNICORN_BIND="unix:/run/koalicja/web.sock")
    assert told.bind == ["unix:/run/koalicja/web.sock"]


def test_it_runs_two_workers_per_core_unless_told(monkeypatch):
    assert settings(monkeypatch).workers == 2 * os.cpu_count()
    assert settings(monkeypatch, GUNICORN_WORKERS="3").workers == 3


def test_a_stuck_worker_is_replaced_and_a_stopping_one_finishes_its_request(monkeypatch):
    config = settings(monkeypatch)
    assert config.timeout == 30
    assert 0 < config.graceful_timeout < config.timeout


def test_it_writes_no_access_log_since_urls_carry_secrets(monkeypatch):
    assert settings(monkeypatch).accesslog is None


def test_only_the_application_reads_forwarded_headers(monkeypatch):
    """TRUSTED_PROXY_HOPS alone decides (ProxyFix): gunicorn believes no X-Forwarded-Proto
    from any address, so there is one setting to get right, not two."""
    config = settings(monkeypatch)
    assert config.forwarded_allow_ips == []
    assert config.secure_scheme_headers == {}
