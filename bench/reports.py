"""Participation reports over a large history: the report page, its downloads and its
charts, timed against 5,000 events and 200,000 registrations on PostgreSQL.

Run from the project root (PostgreSQL must answer at ``--postgres-url``; the script
creates a database of its own there and drops it at the end):

    .venv/bin/python -m bench.reports
    .venv/bin/python -m bench.reports --events 5000 --registrations 200000 --runs 7

It migrates a fresh database, then fills it in the database itself (``INSERT … SELECT``
over ``generate_series``, a few seconds): ``--events`` events over four years in the
seven coalition cities, of the three types, and ``--registrations`` registrations
spread over them with every outcome the report counts (confirmed and checked in,
no-shows, cancelled, waitlisted, promoted, pending, rejected; a quarter of them
anonymised, as the retention job leaves them; a tenth from another city). Then, after
``ANALYZE``, it times with Flask's test client, signed in, in ``--runs`` runs after a
warm-up, and prints the median and the slowest of each:

- the domain's ``reports.queries.report`` alone (the five grouped queries);
- the report page, for the coordinator (all cities) and for one city's organiser;
- the page for one year, and for one city and one year;
- the CSV and XLSX downloads;
- each breakdown's chart (SVG).

The target is under a second for the page over the whole history. This is a
benchmark, not a test: it asserts only that every answer had the expected status.
With ``--explain`` it also prints PostgreSQL's plan of each statement the report runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.databases import fresh_database  # noqa: E402

ADMIN = "koordynacja@example.org"
ORGANISER = "kultura@wroclaw.example.org"
PASSWORD = "correct horse battery staple"  # noqa: S105  (a throw-away database)

#: Events over four years: one every seven hours from the first.
_EVENTS = """
INSERT INTO event (slug, type, title, summary, description, city_id, venue, address,
                   starts_at, ends_at, capacity, waitlist, status, contact_email,
                   sequence, created_at, updated_at)
SELECT 'bench-' || n,
       (ARRAY['study_visit', 'seminar', 'expert_meeting'])[1 + n % 3],
       'Wydarzenie ' || n, '', '',
       (SELECT id FROM city WHERE coalition ORDER BY id OFFSET n % 7 LIMIT 1),
       'Sala', 'Ulica 1',
       TIMESTAMPTZ '2023-01-02 09:00+01' + n * INTERVAL '7 hours',
       TIMESTAMPTZ '2023-01-02 12:00+01' + n * INTERVAL '7 hours',
       40, true, 'published', 'bench@example.org', 0, now(), now()
FROM generate_series(0, :events - 1) AS n
"""
#: One participant for every four registrations (each at a different event).
_PARTICIPANTS = """
INSERT INTO participant (email, name, language, feed_token, created_at)
SELECT 'osoba' || n || '@example.org', 'Osoba ' || n, 'pl', md5('feed' || n), now()
FROM generate_series(0, (:registrations - 1) / 4) AS n
"""
#: Registrations: ``n % 20`` decides the outcome, ``n % 7`` and ``n % 4`` who it is.
_REGISTRATIONS = """
INSERT INTO registration (event_id, participant_id, full_name, email, institution,
                          category, city, home_city_id, consent_at, consent_version, status,
                          token, check_in_code, language, created_at, cancelled_at,
                          waitlisted_at, promoted_at, decided_at, checked_in_at,
                          anonymised_at)
SELECT event.id, participant.id, participant.name, participant.email, 'Instytucja',
       (ARRAY['culture_staff', 'official', 'ngo', 'other'])[1 + n % 4],
       'Miasto',
       CASE WHEN n % 10 = 9 THEN NULL
            ELSE (SELECT id FROM city WHERE coalition ORDER BY id OFFSET n % 7 LIMIT 1) END,
       event.starts_at - INTERVAL '20 days', 'v1',
       CASE WHEN n % 20 < 13 THEN 'confirmed'
            WHEN n % 20 < 16 THEN 'cancelled'
            WHEN n % 20 < 18 THEN 'waitlisted'
            WHEN n % 20 = 18 THEN 'pending'
            ELSE 'rejected' END,
       md5('token' || n), md5('code' || n), 'pl',
       event.starts_at - INTERVAL '20 days',
       CASE WHEN n % 20 BETWEEN 13 AND 15 THEN event.starts_at - INTERVAL '5 days' END,
       CASE WHEN n % 20 IN (11, 12, 15, 16, 17) THEN event.starts_at - INTERVAL '19 days' END,
       CASE WHEN n % 20 IN (11, 12) THEN event.starts_at - INTERVAL '6 days' END,
       CASE WHEN n % 20 = 19 THEN event.starts_at - INTERVAL '10 days' END,
       CASE WHEN n % 20 < 9 AND event.starts_at < now() THEN event.starts_at END,
       CASE WHEN n % 4 = 0 AND event.ends_at < now() THEN now() END
FROM generate_series(0, :registrations - 1) AS n
JOIN event ON event.slug = 'bench-' || (n % :events)
JOIN participant ON participant.email = 'osoba' || (n / 4) || '@example.org'
"""


def fill(database_url: str, events: int, registrations: int) -> float:
    """Migrate, then make the history in the database; the seconds it took to fill."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from registration.accounts.models import Role
    from registration.accounts.services import create_account
    from registration.events.models import City
    from registration.extensions import db

    app = _app(database_url)
    with app.app_context():
        upgrade()
        began = time.perf_counter()
        parameters = {"events": events, "registrations": registrations}
        for statement in (_EVENTS, _PARTICIPANTS, _REGISTRATIONS):
            db.session.execute(text(statement), parameters)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        filled = time.perf_counter() - began
        wroclaw = db.session.query(City).filter_by(slug="wroclaw").one()
        create_account(ADMIN, role=Role.ADMIN, city=None, password=PASSWORD)
        create_account(ORGANISER, role=Role.ORGANISER, city=wroclaw, password=PASSWORD)
        db.session.commit()
        db.engine.dispose()
    return filled


def _app(database_url: str):
    from registration import create_app

    return create_app(
        {
            "REGISTRATION_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        },
        instance_path=tempfile.mkdtemp(prefix="koalicja-bench-instance-"),
    )


def _timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """The median and the slowest of ``runs`` runs after a warm-up, in milliseconds."""
    action()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), max(times)


def measure(database_url: str, runs: int, *, explain: bool) -> list[tuple[str, float, float]]:
    from sqlalchemy import select

    from registration.accounts.models import Account
    from registration.database import utcnow
    from registration.extensions import db
    from registration.reports import queries

    app = _app(database_url)
    results = []
    with app.app_context():
        admin = db.session.scalar(select(Account).where(Account.email == ADMIN))
        with app.test_request_context():
            median, slowest = _timed(
                lambda: queries.report(admin, queries.Filters(), now=utcnow()), runs
            )
        results.append(("queries.report, all cities", median, slowest))
        if explain:
            _explain(admin)

    def get(client, path: str) -> Callable[[], object]:
        def request():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return request

    year = "since=1.01.2025&until=31.12.2025"
    for account, paths in (
        (
            ADMIN,
            {
                "page, all cities, all time": "/organiser/reports",
                "page, all cities, 2025": f"/organiser/reports?{year}",
                "page, Gdańsk, 2025": f"/organiser/reports?city=gdansk&{year}",
                "CSV, all cities, all time": "/organiser/reports.csv",
                "XLSX, all cities, all time": "/organiser/reports.xlsx",
                **{
                    f"chart {name}, all time": f"/organiser/reports/{name}.svg"
                    for name in queries.BREAKDOWNS
                },
            },
        ),
        (ORGANISER, {"page, Wrocław's organiser, all time": "/organiser/reports"}),
    ):
        client = app.test_client()
        response = client.post("/organiser/login", data={"email": account, "password": PASSWORD})
        assert response.status_code == 303, response.status_code
        for name, path in paths.items():
            median, slowest = _timed(get(client, path), runs)
            results.append((name, median, slowest))
    with app.app_context():
        db.engine.dispose()
    return results


def _explain(admin) -> None:
    """PostgreSQL's plan of each statement the report runs, caught as it is sent."""
    from sqlalchemy import event

    from registration.database import utcnow
    from registration.extensions import db
    from registration.reports import queries

    sent: list[tuple[str, dict]] = []

    def catch(_connection, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        queries.report(admin, queries.Filters(), now=utcnow())
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    with db.engine.connect() as connection:
        for statement, parameters in sent:
            cursor = connection.connection.cursor()
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            print("\n".join(row[0] for row in cursor.fetchall()), end="\n\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--registrations", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each, after a warm-up")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create the throw-away database on",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the report's statements"
    )
    options = parser.parse_args(argv)
    with fresh_database("postgresql", options.postgres_url) as database_url:
        filled = fill(database_url, options.events, options.registrations)
        print(
            f"{options.events} events, {options.registrations} registrations "
            f"made in {filled:.1f} s; {options.runs} runs each, after a warm-up\n"
        )
        results = measure(database_url, options.runs, explain=options.explain)
    width = max(len(name) for name, _median, _slowest in results)
    print(f"{'':{width}}  median   slowest")
    for name, median, slowest in results:
        print(f"{name:{width}}  {median:6.0f} ms {slowest:6.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
