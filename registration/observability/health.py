"""``/healthz`` and ``/readyz``: for load balancers, orchestrators and monitoring.

``/healthz`` says only that the process answers: it touches nothing else, so a
database outage never makes a supervisor restart healthy web processes.

``/readyz`` says whether this host can do its work, in three checks, each a small query:

- ``database``: reachable, and at the migration the code expects (a host whose code
  is newer than the schema, or older, must not take traffic);
- ``mail_worker``: some mail worker, on any host, beat within
  ``READY_MAIL_WORKER_MAX_AGE`` seconds (``0`` leaves the check out);
- ``outbox``: no queued message has been due for ``READY_OUTBOX_MAX_AGE`` seconds or
  more (``0`` leaves it out).

200 with ``"status": "ready"`` when all hold, 503 with ``"not ready"`` otherwise. The
answers hold no personal data, are never rate-limited and never cached.
"""

from __future__ import annotations

import functools
from datetime import datetime

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from registration.database import utcnow
from registration.extensions import db

bp = Blueprint("health", __name__)


@functools.cache
def expected_revision() -> str | None:
    """The head of the migration scripts: read once per process (the code cannot change
    under a running process)."""
    from registration import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


@bp.get("/healthz")
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> Response:
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)


def readiness() -> dict[str, dict]:
    """Each check's verdict and the figure it was judged by."""
    now = utcnow()
    try:
        checks = {
            "database": _database(),
            "mail_worker": _mail_worker(now),
            "outbox": _outbox(now),
        }
    except SQLAlchemyError:
        # The driver's words may quote values; the answer says only that it failed.
        checks = {"database": {"ok": False, "error": "unavailable"}}
    finally:
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.close()
    return checks


def _database() -> dict:
    current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    expected = expected_revision()
    return {"ok": current == expected, "revision": current, "expected": expected}


def _mail_worker(now: datetime) -> dict:
    from registration.observability.heartbeat import latest_beat

    limit = current_app.config["READY_MAIL_WORKER_MAX_AGE"]
    beat = latest_beat()
    age = (now - beat).total_seconds() if beat else None
    if not limit:
        return {"ok": True, "last_beat_age_seconds": _rounded(age), "checked": False}
    return {
        "ok": age is not None and age <= limit,
        "last_beat_age_seconds": _rounded(age),
        "max_age_seconds": limit,
    }


def _outbox(now: datetime) -> dict:
    from registration.observability.metrics import oldest_due

    limit = current_app.config["READY_OUTBOX_MAX_AGE"]
    oldest = oldest_due(now)
    age = (now - oldest).total_seconds() if oldest else 0.0
    if not limit:
        return {"ok": True, "oldest_due_age_seconds": _rounded(age), "checked": False}
    return {"ok": age < limit, "oldest_due_age_seconds": _rounded(age), "max_age_seconds": limit}


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
