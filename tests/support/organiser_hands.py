"""An organiser's hand, or the periodic job, in a process of its own, started on cue.

The concurrency tests race seat operations that no public endpoint makes (approving a
request, releasing the city allocations) against a crowd of HTTP requests. Threads of
the test's own interpreter would share one connection pool and prove nothing about
the locks, so each hand is a separate Python process:

    python -m tests.support.organiser_hands approve 12 13 14
    python -m tests.support.organiser_hands reject 15
    python -m tests.support.organiser_hands release

It builds the application on ``DATABASE_URL``, prints ``ready``, waits for a line on
its standard input (the cue: the test sends it to every hand when all are ready, and
releases its crowd at the same moment), then runs each operation in a transaction of
its own, as a back-office request would, and prints one JSON line per operation.
``OrganiserHands`` in the tests starts them, cues them and reads what they did.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY = "ready"


def main(argv: list[str]) -> int:
    from registration import create_app
    from registration.extensions import db
    from registration.registrations import services
    from registration.registrations.models import Registration

    operation, *ids = argv
    with tempfile.TemporaryDirectory(prefix="organiser-hands-") as instance:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]}, instance_path=instance
        )
        with app.app_context():
            # Connect now, so that the cue finds the hand ready to take the lock.
            db.session.execute(db.select(Registration.id).limit(1))
            db.session.rollback()
            print(READY, flush=True)
            sys.stdin.readline()
            if operation == "release":
                print(json.dumps({"released": services.release_due_allocations()}), flush=True)
                return 0
            decide = {"approve": services.approve, "reject": services.reject}[operation]
            for registration_id in map(int, ids):
                registration = db.session.get(Registration, registration_id)
                try:
                    decide(registration, account=None)
                except services.RegistrationError as refusal:
                    db.session.rollback()
                    outcome = {"id": registration_id, "refused": refusal.code}
                else:
                    status = registration.status.value
                    db.session.commit()
                    outcome = {"id": registration_id, "status": status}
                print(json.dumps(outcome), flush=True)
            db.engine.dispose()
    return 0


class OrganiserHands:
    """Hands in processes of their own: start them, then ``cue`` them all at once."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.processes: list[subprocess.Popen] = []

    def start(self, operation: str, ids: Sequence[int] = ()) -> None:
        """Start a hand; it builds its application and connects while others start."""
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", __name__, operation, *map(str, ids)],
                cwd=PROJECT_ROOT,
                env={
                    **os.environ,
                    "DATABASE_URL": self.database_url,
                    "REGISTRATION_ENV": "testing",
                },
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )

    def wait_until_ready(self) -> None:
        """:raise RuntimeError: a hand exited, or said something else than ``ready``"""
        for process in self.processes:
            line = process.stdout.readline().strip()
            if line != READY:
                process.kill()
                raise RuntimeError(
                    f"a hand did not start: {line!r} {process.stderr.read()[-3000:]}"
                )

    def cue(self) -> None:
        """Let every hand go at once."""
        for process in self.processes:
            process.stdin.write("go\n")
            process.stdin.flush()

    def outcomes(self, timeout: float = 60) -> list[list[dict]]:
        """What each hand did, one list per hand in the order they were started."""
        results = []
        for process in self.processes:
            output, errors = process.communicate(timeout=timeout)
            if process.returncode != 0:
                raise RuntimeError(f"a hand failed ({process.returncode}):\n{errors[-3000:]}")
            results.append([json.loads(line) for line in output.splitlines() if line.strip()])
        return results

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=10)


@contextlib.contextmanager
def organiser_hands(database_url: str) -> Iterator[OrganiserHands]:
    """Hands that are stopped, whatever happens, when the block ends."""
    hands = OrganiserHands(database_url)
    try:
        yield hands
    finally:
        hands.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
