"""The mail workers' heartbeats: one row per running worker process, in the database.

Several web hosts share one database, and the worker may run on any of them (or on
none of them): a row there is the one place where every web host's ``/readyz`` and
``/metrics`` can see that a worker is alive. A worker writes its row when it starts,
beats at most every ``BEAT_EVERY_SECONDS`` (and after each batch it handled, with the
batch counted), and removes its row when it stops. Rows of workers that died without
stopping are left to age, and are removed a ``FORGET_AFTER`` later by the next
worker to start.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from registration.database import UTCDateTime, utcnow
from registration.extensions import db

BEAT_EVERY_SECONDS = 10.0
#: A row not beaten for this long belongs to a worker that is gone.
FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``host:pid:random``, unique even when a pid is reused.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Delivery rounds that found messages to handle, and the messages it sent.
    batches: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    #: Periodic jobs (reminders, anonymisation, releases, certificates) run through.
    jobs_run: Mapped[int] = mapped_column(Integer, default=0)


class Heartbeat:
    """A worker's own row, written through short transactions of their own.

    Each method commits: call it only where the worker holds no transaction of its own.
    """

    def __init__(self) -> None:
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.name = f"{self.host[:60]}:{self.pid}:{secrets.token_hex(4)}"
        self._last_beat = 0.0
        self._batches = self._sent = self._jobs = 0

    def start(self) -> None:
        """Write the row, and forget the workers that died long ago."""
        now = utcnow()
        db.session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER)
        )
        db.session.add(
            WorkerHeartbeat(
                name=self.name,
                host=self.host,
                pid=self.pid,
                started_at=now,
                beat_at=now,
                batches=0,
                sent=0,
                jobs_run=0,
            )
        )
        db.session.commit()
        self._last_beat = time.monotonic()

    def count_batch(self, sent: int) -> None:
        self._batches += 1
        self._sent += sent

    def count_job(self) -> None:
        self._jobs += 1

    def beat(self, *, force: bool = False) -> None:
        """Record that the worker is alive, with what it counted since the last beat;
        at most every ``BEAT_EVERY_SECONDS`` unless ``force``d."""
        clock = time.monotonic()
        if not force and clock - self._last_beat < BEAT_EVERY_SECONDS:
            return
        counted = {
            "batches": WorkerHeartbeat.batches + self._batches,
            "sent": WorkerHeartbeat.sent + self._sent,
            "jobs_run": WorkerHeartbeat.jobs_run + self._jobs,
        }
        db.session.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.name == self.name)
            .values(beat_at=utcnow(), **counted)
        )
        db.session.commit()
        self._last_beat = clock
        self._batches = self._sent = self._jobs = 0

    def stop(self) -> None:
        """Remove the row: a worker that stopped is not alive."""
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == self.name))
        db.session.commit()


def latest_beat() -> datetime | None:
    """When any worker last beat."""
    return db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


def recent_workers(since: datetime) -> list[WorkerHeartbeat]:
    return list(
        db.session.scalars(
            select(WorkerHeartbeat)
            .where(WorkerHeartbeat.beat_at >= since)
            .order_by(WorkerHeartbeat.id)
        )
    )
