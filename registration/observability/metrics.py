"""Prometheus metrics at ``/metrics``.

Counted in the web processes (prometheus-client):

- ``koalicja_http_requests_total{method, route, status}`` and
  ``koalicja_http_request_duration_seconds{method, route}``: the route is the rule's
  pattern (``/r/<token>``), never the path, so no secret becomes a label;
- ``koalicja_registrations_total{outcome}``: a seat or place taken (``confirmed``,
  ``waitlisted``, ``pending``), counted only once its transaction has committed; or a
  refusal, by its problem code (``event-full``, ``registration-closed`` …).

Read from the database at each scrape, so that every web host reports the same
(``DatabaseCollector``): the outbox (``koalicja_outbox_messages{status}``,
``koalicja_outbox_oldest_due_age_seconds``) and the mail workers' heartbeats,
batches, messages sent and jobs run.

Under gunicorn, every worker process counts on its own: with ``PROMETHEUS_MULTIPROC_DIR``
set (to an empty folder, before gunicorn starts) they write their counts there and a
scrape of any of them sums them all. gunicorn's ``child_exit`` hook must then be
``child_exit`` below, and ``on_starting`` empties the folder.

Who may read it (``METRICS_TOKEN``, ``METRICS_NETWORKS``): see ``allowed``.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from registration.database import utcnow
from registration.domain_errors import DomainError
from registration.extensions import db

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
#: Methods are a label; anything else a client invents is counted as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Workers whose heartbeat is older than this are left out of the scrape.
WORKERS_SHOWN_FOR = timedelta(hours=1)

REQUESTS = Counter(
    "koalicja_http_requests",
    "HTTP requests answered, by route pattern and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "koalicja_http_request_duration_seconds",
    "Time from the request's first hook to its answer, by route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REGISTRATIONS = Counter(
    "koalicja_registrations",
    "Attempts to register, by outcome: a status taken, or the refusal's problem code.",
    ["outcome"],
)

bp = Blueprint("metrics", __name__)

_PENDING_OUTCOMES = "koalicja_registration_outcomes"

F = TypeVar("F", bound=Callable[..., Any])


def counts_registrations(register: F) -> F:
    """Count what ``register`` gives: a refusal at once (it changed nothing), a
    registration when its transaction commits (and never when it is rolled back)."""

    @functools.wraps(register)
    def counted(*args, **kwargs):
        try:
            registered = register(*args, **kwargs)
        except DomainError as refusal:
            REGISTRATIONS.labels(outcome=refusal.code).inc()
            raise
        outcomes = db.session().info.setdefault(_PENDING_OUTCOMES, [])
        outcomes.append(str(registered.registration.status))
        return registered

    return counted  # type: ignore[return-value]


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for outcome in session.info.pop(_PENDING_OUTCOMES, ()):
        REGISTRATIONS.labels(outcome=outcome).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_OUTCOMES, None)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


class DatabaseCollector:
    """The outbox and the mail workers, as the shared database has them at scrape time.

    If the database cannot be read, the scrape still answers: ``koalicja_database_up``
    says 0 and the figures from the database are missing.
    """

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "koalicja_database_up", "Whether the scrape could read the database."
        )
        try:
            figures = list(self._from_database())
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.rollback()  # end the read; nothing was written
        up.add_metric([], 1)
        yield up
        yield from figures

    def describe(self) -> list[Metric]:
        return []  # read at collect time only: registering must not query

    def _from_database(self) -> Iterator[Metric]:
        from registration.notifications.models import DeliveryStatus, OutboxMessage
        from registration.observability.heartbeat import recent_workers

        now = utcnow()
        counts = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.FAILED)))
                .group_by(OutboxMessage.status)
            ).all()
        )
        messages = GaugeMetricFamily(
            "koalicja_outbox_messages", "Messages in the outbox, by status.", labels=["status"]
        )
        for status in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
            messages.add_metric([str(status)], counts.get(status, 0))
        yield messages

        oldest = oldest_due(now)
        yield GaugeMetricFamily(
            "koalicja_outbox_oldest_due_age_seconds",
            "How long the longest-waiting queued message has been due (0: none is).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )

        workers = recent_workers(now - WORKERS_SHOWN_FOR)
        age = GaugeMetricFamily(
            "koalicja_mail_worker_heartbeat_age_seconds",
            "Seconds since each mail worker last beat.",
            labels=["worker"],
        )
        batches = CounterMetricFamily(
            "koalicja_mail_worker_batches",
            "Delivery batches each mail worker handled.",
            labels=["worker"],
        )
        sent = CounterMetricFamily(
            "koalicja_mail_worker_sent", "Messages each mail worker sent.", labels=["worker"]
        )
        jobs = CounterMetricFamily(
            "koalicja_mail_worker_jobs",
            "Periodic jobs (reminders, anonymisation, releases, certificates) each ran.",
            labels=["worker"],
        )
        for worker in workers:
            age.add_metric([worker.name], (now - worker.beat_at).total_seconds())
            batches.add_metric([worker.name], worker.batches)
            sent.add_metric([worker.name], worker.sent)
            jobs.add_metric([worker.name], worker.jobs_run)
        yield from (age, batches, sent, jobs)


def oldest_due(now: datetime) -> datetime | None:
    """When the queued message that has waited longest since it fell due fell due."""
    from registration.notifications.models import DeliveryStatus, OutboxMessage

    return db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == DeliveryStatus.QUEUED,
            OutboxMessage.next_attempt_at <= now,
        )
    )


def exposition() -> bytes:
    """The text a scrape gets: every process's counts, and the database's figures."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    if os.environ.get(MULTIPROCESS_VARIABLE):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    return generate_latest(processes) + generate_latest(database)


def allowed() -> bool:
    """Whether this request may read the metrics.

    With ``METRICS_TOKEN``, it must carry ``Authorization: Bearer <token>``; with
    ``METRICS_NETWORKS``, its client address (as ``TRUSTED_PROXY_HOPS`` reads it) must be
    in one of them. With both, both; with neither, nobody may (metrics are off).
    """
    token: str | None = current_app.config["METRICS_TOKEN"]
    networks = current_app.config["METRICS_NETWORKS"]
    if not token and not networks:
        return False
    if not _from_allowed_network():
        return False
    if token:
        given = request.headers.get("Authorization", "")
        scheme, _, credentials = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), token.encode()
        )
    return True


@bp.get("/metrics")
def metrics() -> Response:
    if not allowed():
        if current_app.config["METRICS_TOKEN"] and _from_allowed_network():
            # Only a client that may scrape learns that a token is what it lacks.
            response = Response("A bearer token is required.\n", 401, mimetype="text/plain")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        abort(404)
    response = Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"  # figures of now, for one reader
    return response


def _from_allowed_network() -> bool:
    """Whether the client is in ``METRICS_NETWORKS``, or that setting is empty."""
    networks = current_app.config["METRICS_NETWORKS"]
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in networks)


# gunicorn's server hooks (a gunicorn config file names them; see docs/operations.md).


def on_starting(server: Any) -> None:
    """Empty ``PROMETHEUS_MULTIPROC_DIR`` (of its ``*.db`` files) before any worker
    starts: counts left by an earlier run would be added to this one's."""
    folder = os.environ.get(MULTIPROCESS_VARIABLE)
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    # Only prometheus-client's own files: a folder named by mistake loses nothing else.
    for entry in path.glob("*.db"):
        entry.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Tell prometheus-client that a gunicorn worker has gone, so that its live gauges
    are dropped (its counters are kept: they still count)."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(worker.pid)
