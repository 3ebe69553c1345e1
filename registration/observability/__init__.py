"""Running it like production: health and readiness, metrics, request ids and log lines.

``init_app`` reads the settings (``settings``), then registers ``/healthz``,
``/readyz`` (``health``) and ``/metrics`` (``metrics``), and the hooks that give each
request its id (``request_ids``), its log line (``logs``) and its count.

Imported by the outbox and the mail worker too: nothing heavy happens at import.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request

from registration.config import ConfigurationError

DEFAULT_READY_MAIL_WORKER_MAX_AGE = 120
DEFAULT_READY_OUTBOX_MAX_AGE = 900


def settings(config: dict) -> dict:
    """The observability settings, from ``config`` (a test's overrides) or the environment.

    :raise ConfigurationError: a value makes no sense
    """
    from registration.observability.logs import FORMATS
    from registration.observability.metrics import parse_networks

    def setting(name: str, default: str = "") -> str | int | None:
        if name in config:
            return config[name]
        return os.environ.get(name, "").strip() or default

    log_format = str(setting("LOG_FORMAT", "text")).lower()
    if log_format not in FORMATS:
        raise ConfigurationError(
            f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}"
        )
    networks = setting("METRICS_NETWORKS")
    if isinstance(networks, str):
        try:
            networks = parse_networks(networks)
        except ValueError as error:
            raise ConfigurationError(f"METRICS_NETWORKS cannot be used: {error}") from None
    return {
        "LOG_FORMAT": log_format,
        "METRICS_TOKEN": setting("METRICS_TOKEN") or None,
        "METRICS_NETWORKS": tuple(networks or ()),
        "READY_MAIL_WORKER_MAX_AGE": _seconds(
            "READY_MAIL_WORKER_MAX_AGE",
            setting("READY_MAIL_WORKER_MAX_AGE"),
            DEFAULT_READY_MAIL_WORKER_MAX_AGE,
        ),
        "READY_OUTBOX_MAX_AGE": _seconds(
            "READY_OUTBOX_MAX_AGE", setting("READY_OUTBOX_MAX_AGE"), DEFAULT_READY_OUTBOX_MAX_AGE
        ),
    }


def _seconds(name: str, value: str | int | None, default: int) -> int:
    if value in ("", None):
        return default
    try:
        seconds = int(value)
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a whole number of seconds, not {value!r}"
        ) from None
    if seconds < 0:
        raise ConfigurationError(f"{name} must not be negative")
    return seconds


def init_app(app: Flask) -> None:
    """Call before the other blueprints: the request id must exist before any other hook."""
    from registration.extensions import limiter
    from registration.observability import health, logs, metrics, request_ids

    app.config.update(settings(app.config))
    logs.configure(app.config["LOG_FORMAT"])
    request_ids.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    # Probes and scrapes come often and from few addresses; they must never be refused.
    limiter.exempt(health.bp)
    limiter.exempt(metrics.bp)

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_and_count(response: Response) -> Response:
        started = g.get("request_started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        route = logs.route_pattern()
        logs.request_log.info(
            "request",
            extra={
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        metrics.observe_request(request.method, route, response.status_code, seconds)
        return response
