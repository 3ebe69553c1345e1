"""Running it like production: health and readiness, metrics, request ids and log lines.

``init_app`` takes the settings ``config.load`` read, and registers ``/healthz``,
``/readyz`` (``health``) and ``/metrics`` (``metrics``), and the hooks that give each
request its id (``request_ids``), its log line (``logs``) and its count.

Imported by the outbox and the mail worker too: nothing heavy happens at import.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request


def init_app(app: Flask) -> None:
    """Call before the other blueprints: the request id must exist before any other hook."""
    from registration.extensions import limiter
    from registration.observability import health, logs, metrics, request_ids

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
