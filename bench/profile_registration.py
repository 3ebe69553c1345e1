"""Where one API registration spends its time: cProfile over many, in one process.

Run from the project root (``--backend postgresql`` needs the server of
``--postgres-url``; the script makes a throw-away database there and drops it):

    .venv/bin/python bench/profile_registration.py
    .venv/bin/python bench/profile_registration.py --backend postgresql --requests 3000

It migrates a fresh database, publishes one event whose seats run out early
(so that both confirmations and waitlist places are profiled), and sends
``--requests`` registrations through Flask's test client, one after another,
with the production configuration (rate limits off, as in the benchmark). It
prints the time per request and the functions that took the most, by time spent
in the function itself and by time including what it called. One process and no
concurrency: this shows what a request costs, not how requests wait for each other
(``registration_rush.py`` shows that).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.databases import fresh_database  # noqa: E402
from bench.registration_rush import registration_bodies  # noqa: E402

WARM_UP_REQUESTS = 50


def profile(
    database_url: str, requests: int, top: int, sort: str, save: str | None, *, enabled: bool
) -> None:
    from flask_migrate import upgrade

    from registration import create_app
    from registration.extensions import db
    from tests.factories import make_event

    with tempfile.TemporaryDirectory(prefix="koalicja-profile-instance-") as instance:
        app = create_app(
            {
                "REGISTRATION_ENV": "production",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_ENABLED": False,
            },
            instance_path=instance,
        )
        with app.app_context():
            upgrade()
            event_id = make_event(capacity=requests // 10, waitlist=True).id
            warm_up_id = make_event(capacity=WARM_UP_REQUESTS, waitlist=True).id
            db.session.commit()
            db.session.remove()
        client = app.test_client()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        prefix = f"profile{secrets.token_hex(3)}"
        for body in registration_bodies(WARM_UP_REQUESTS, prefix + "warm"):
            client.post(f"/api/v1/events/{warm_up_id}/registrations", data=body, headers=headers)
        bodies = registration_bodies(requests, prefix)
        path = f"/api/v1/events/{event_id}/registrations"
        profiler = cProfile.Profile()
        began = time.perf_counter()
        if enabled:
            profiler.enable()
        for body in bodies:
            response = client.post(path, data=body, headers=headers)
            if response.status_code != 201:
                raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)}")
        profiler.disable()
        seconds = time.perf_counter() - began
        with app.app_context():
            db.engine.dispose()
    print(f"{requests} registrations in {seconds:.2f} s: {seconds / requests * 1000:.2f} ms each")
    if not enabled:
        return
    print("(under the profiler, which slows Python code more than the database's)")
    if save:
        profiler.dump_stats(save)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40, help="functions to print")
    parser.add_argument(
        "--sort", choices=("tottime", "cumulative"), default="cumulative", help="order of the list"
    )
    parser.add_argument(
        "--time-only", action="store_true", help="no profiler: only the time per request"
    )
    parser.add_argument("--save", help="also write the profile here, for pstats or snakeviz")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create the throw-away database on",
    )
    options = parser.parse_args(argv)
    if not 10 <= options.requests <= 100_000:
        parser.error("--requests must be 10..100000")
    with fresh_database(options.backend, options.postgres_url) as database_url:
        profile(
            database_url,
            options.requests,
            options.top,
            options.sort,
            options.save,
            enabled=not options.time_only,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
