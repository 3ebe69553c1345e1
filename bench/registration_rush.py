"""Registration rush: registrations per second when a popular event opens, against a ceiling.

Run from the project root (PostgreSQL must answer at ``--postgres-url`` for
the PostgreSQL half; the script creates a database of its own there and drops
it at the end):

    .venv/bin/python -m bench.registration_rush
    .venv/bin/python -m bench.registration_rush --backend sqlite --requests 2000 --clients 64
    .venv/bin/python -m bench.registration_rush --rounds 9
    .venv/bin/python -m bench.registration_rush --allocations 4

For each backend it creates a fresh database (a SQLite file in a temporary
folder; a throw-away PostgreSQL database), migrates it, and publishes one event
per round with ``--capacity`` seats and a waitlist. It starts the service as
production does (``gunicorn --workers 4 wsgi:app``, rate limits off) and,
beside it, the ceiling: ``bench/ceiling_app.py``, a bare Flask + SQLAlchemy
application whose one endpoint inserts one row and commits, on the same
database, under the same gunicorn settings.

Each round sends ``--requests`` registrations for that round's event from
``--clients`` concurrent clients, then the same bodies to the ceiling. It
prints throughput, median and 99th-percentile latency for both, and checks
what the people were promised: every request answered 201, exactly
``min(capacity, requests)`` confirmed, the rest waitlisted. The ratio
registration/ceiling is what the service's rules cost; the target is at least
0.5, judged on the median of the rounds.

With ``--allocations N`` each round also rushes a second event of the same capacity
that keeps N seats for each of the seven coalition cities (docs/coalition.md), right
after the first and with the same bodies, people from the seven cities and from
elsewhere in turn (so the plain event's bodies change too). The script checks that the
seats went by the city rules in order of arrival and prints both figures, each
against the ceiling. Rounds alternate because on a shared
virtual machine the speed drifts from minute to minute: a pair measured back to
back compares like with like.

Both servers first get a short warm-up (on another event, resp. other rows),
so that the figures do not include each worker's first-request set-up. The
clients are threads with one ``http.client`` connection each, reused when the
server keeps it alive (gunicorn's sync workers close it after every response,
as they would behind a reverse proxy); the script prints the CPU the clients
used, so you can see that they are not the bottleneck. Everything listens on
and talks to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from bench.databases import fresh_database
from tests.support.servers import gunicorn_server

WORKERS = 4
WARM_UP_REQUESTS = 60
TARGET_RATIO = 0.5
#: Where the people of ``--allocations`` rushes work: the coalition's cities and one
#: outside it (no seats kept for it), in turn.
CITIES = ("Wrocław", "Gdańsk", "Katowice", "Lublin", "Łódź", "Poznań", "Szczecin", "Kraków")


@dataclass
class Rush:
    """What one burst of requests measured."""

    requests: int
    clients: int
    seconds: float
    latencies: list[float]
    statuses: Counter
    errors: list[str]
    client_cpu_seconds: float
    #: Confirmed registrations found in the database afterwards (registration rushes only).
    confirmed: int | None = None

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rush(base_url: str, path: str, bodies: list[bytes], clients: int, *, deadline: float) -> Rush:
    """POST every body to ``path`` from ``clients`` threads released together.

    :param deadline: ``time.monotonic()`` after which no new request is started
    """
    host, port = base_url.removeprefix("http://").split(":")
    assert host == "127.0.0.1", base_url
    next_index = iter(range(len(bodies)))
    take = threading.Lock()
    start = threading.Barrier(clients + 1)
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: list[str] = []
    record = threading.Lock()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    def client() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        start.wait(timeout=60)
        try:
            while time.monotonic() < deadline:
                with take:
                    index = next(next_index, None)
                if index is None:
                    return
                began = time.perf_counter()
                try:
                    connection.request("POST", path, body=bodies[index], headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    with record:
                        errors.append(f"request {index}: {error!r}")
                    continue
                took = time.perf_counter() - began
                with record:
                    latencies.append(took)
                    statuses[response.status] += 1
                    if response.status != 201 and len(errors) < 20:
                        errors.append(f"request {index}: {response.status} {body[:300]!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    start.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 70)
    seconds = time.perf_counter() - began
    if any(thread.is_alive() for thread in threads):
        errors.append("some clients were still waiting for an answer at the deadline")
    return Rush(
        requests=sum(statuses.values()),
        clients=clients,
        seconds=seconds,
        latencies=latencies,
        statuses=statuses,
        errors=errors,
        client_cpu_seconds=time.process_time() - cpu_before,
    )


def registration_bodies(
    count: int, prefix: str, cities: tuple[str, ...] = ("Łódź",)
) -> list[bytes]:
    """``count`` different people, as the API wants them, from ``cities`` in turn."""
    return [
        json.dumps(
            {
                "name": f"Uczestniczka Testowa {number}",
                "email": f"{prefix}.{number}@example.org",
                "institution": "Miejski Dom Kultury",
                "position": "Animatorka",
                "category": "culture_staff",
                "city": cities[number % len(cities)],
                "consent": True,
                "language": "pl",
            },
            ensure_ascii=False,
        ).encode()
        for number in range(count)
    ]


def prepare(
    database_url: str, capacity: int, rounds: int, allocations: int = 0
) -> tuple[int, list[int], list[int]]:
    """Migrate; publish a warm-up event and one rush event per round, and with
    ``allocations`` one more per round keeping that many seats per coalition city;
    return their ids."""
    from flask_migrate import upgrade

    from bench.ceiling_app import create_schema
    from registration import create_app
    from registration.events.models import City
    from registration.extensions import db
    from registration.registrations.services import change_allocations
    from tests.factories import make_event

    with tempfile.TemporaryDirectory(prefix="koalicja-bench-instance-") as instance:
        app = create_app(
            {
                "REGISTRATION_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_ENABLED": False,
            },
            instance_path=instance,
        )
        with app.app_context():
            upgrade()
            warm_up = make_event(title="Rozgrzewka", capacity=WARM_UP_REQUESTS, waitlist=True)
            events = [
                make_event(title=f"Wizyta studyjna: nabór {number}", capacity=capacity)
                for number in range(1, rounds + 1)
            ]
            kept = []
            if allocations:
                cities = db.session.scalars(sa.select(City.id).where(City.coalition)).all()
                for number in range(1, rounds + 1):
                    event = make_event(title=f"Forum miast: nabór {number}", capacity=capacity)
                    # Kept until a week before the start, which is a fortnight away.
                    change_allocations(event, dict.fromkeys(cities, allocations), release_at=None)
                    kept.append(event)
            ids = warm_up.id, [event.id for event in events], [event.id for event in kept]
            db.session.commit()
            db.session.close()
            db.engine.dispose()
    create_schema(database_url)
    return ids


def seated_by_the_rules(
    database_url: str, event_id: int, capacity: int, allocations: int
) -> tuple[list[int], list[int]]:
    """The confirmed registrations of an event keeping ``allocations`` seats per
    coalition city, and those the rules seat when its registrations come one by one in
    order of arrival: a seat of their own city's allocation while one is left, else a
    common one while one is left (a home city is set for coalition cities only)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT id, status, home_city_id FROM registration "
                    "WHERE event_id = :event ORDER BY id"
                ),
                {"event": event_id},
            ).all()
    finally:
        engine.dispose()
    kept: Counter = Counter()
    common = capacity - 7 * allocations
    seated = []
    for registration_id, _status, home_city_id in rows:
        if home_city_id is not None and kept[home_city_id] < allocations:
            kept[home_city_id] += 1
        elif common > 0:
            common -= 1
        else:
            continue
        seated.append(registration_id)
    return [row[0] for row in rows if row[1] == "confirmed"], seated


def count_statuses(database_url: str, event_id: int) -> Counter:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT status, count(*) FROM registration WHERE event_id = :event "
                    "GROUP BY status"
                ),
                {"event": event_id},
            )
            return Counter(dict(rows.all()))
    finally:
        engine.dispose()


def count_rows(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM bench_ceiling_row")).scalar()
    finally:
        engine.dispose()


@dataclass
class Round:
    """One round's bursts: the plain event, the event with allocations (if asked), the ceiling."""

    registration: Rush
    ceiling: Rush
    allocations: Rush | None = None


def run_backend(backend: str, options: argparse.Namespace) -> list[Round]:
    """Alternate registration and ceiling bursts, ``options.rounds`` of each.

    Both servers run side by side, and each registration burst is followed by
    a ceiling burst, so that a pair is measured under the same conditions: on a
    shared machine the speed drifts from minute to minute. With ``--allocations``
    the burst at the event with allocations comes between them.
    """
    with fresh_database(backend, options.postgres_url) as database_url:
        warm_up_id, event_ids, kept_ids = prepare(
            database_url, options.capacity, options.rounds, options.allocations
        )
        prefix = f"rush{secrets.token_hex(3)}"
        cities = CITIES if options.allocations else ("Łódź",)
        rounds = []
        with (
            gunicorn_server(
                database_url, workers=WORKERS, registration_env="production"
            ) as service_url,
            gunicorn_server(
                database_url, app="bench.ceiling_app:create_app()", workers=WORKERS
            ) as ceiling_url,
        ):
            warm_up = registration_bodies(WARM_UP_REQUESTS, prefix + "warm")
            clients = min(options.clients, WARM_UP_REQUESTS)
            deadline = time.monotonic() + options.timeout
            rush(
                service_url,
                f"/api/v1/events/{warm_up_id}/registrations",
                warm_up,
                clients,
                deadline=deadline,
            )
            rush(ceiling_url, f"/events/{warm_up_id}/rows", warm_up, clients, deadline=deadline)
            for number, event_id in enumerate(event_ids):
                bodies = registration_bodies(options.requests, f"{prefix}r{number}", cities)
                registration = rush(
                    service_url,
                    f"/api/v1/events/{event_id}/registrations",
                    bodies,
                    options.clients,
                    deadline=time.monotonic() + options.timeout,
                )
                allocations = None
                if kept_ids:
                    allocations = rush(
                        service_url,
                        f"/api/v1/events/{kept_ids[number]}/registrations",
                        bodies,
                        options.clients,
                        deadline=time.monotonic() + options.timeout,
                    )
                ceiling = rush(
                    ceiling_url,
                    f"/events/{event_id}/rows",
                    bodies,
                    options.clients,
                    deadline=time.monotonic() + options.timeout,
                )
                rounds.append(Round(registration, ceiling, allocations))

        confirmed = min(options.capacity, options.requests)
        expected = {"confirmed": confirmed, "waitlisted": options.requests - confirmed}
        for result, event_id in zip(rounds, event_ids, strict=True):
            check(backend, "registration", result.registration, options.requests)
            check(backend, "ceiling", result.ceiling, options.requests)
            statuses = count_statuses(database_url, event_id)
            assert statuses == Counter({k: v for k, v in expected.items() if v}), (
                f"{backend}: registrations in the database {dict(statuses)}, expected {expected}"
            )
            result.registration.confirmed = statuses["confirmed"]
        for result, event_id in zip(rounds, kept_ids, strict=False):
            check(backend, "allocations", result.allocations, options.requests)
            confirmed, seated = seated_by_the_rules(
                database_url, event_id, options.capacity, options.allocations
            )
            assert confirmed == seated, (
                f"{backend}: at the event with allocations, {len(confirmed)} confirmed "
                f"differ from the {len(seated)} the rules seat in order of arrival"
            )
            result.allocations.confirmed = len(confirmed)
        rows = count_rows(database_url)
        expected_rows = WARM_UP_REQUESTS + options.rounds * options.requests
        assert rows == expected_rows, f"{backend}: {rows} ceiling rows, expected {expected_rows}"
    return rounds


def check(backend: str, what: str, result: Rush, requests: int) -> None:
    problems = list(result.errors)
    if result.requests != requests:
        problems.append(f"{result.requests} of {requests} requests answered")
    if set(result.statuses) - {201}:
        problems.append(f"statuses {dict(result.statuses)}")
    if problems:
        raise AssertionError(f"{backend} {what}: " + "; ".join(problems[:10]))


def report(backend: str, rounds: list[Round], options: argparse.Namespace) -> None:
    def ratio(result: Rush, ceiling: Rush) -> float:
        return result.throughput / ceiling.throughput if ceiling.throughput else 0.0

    print(f"\n{backend}: {WORKERS} gunicorn workers, {rounds[0].registration.clients} clients")
    print(
        f"  {'round':<7}{'':<13}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'mean ms':>9}{'client CPU':>12}{'ratio':>7}"
    )
    for number, result in enumerate(rounds, start=1):
        bursts = [("registration", result.registration)]
        if result.allocations is not None:
            bursts.append(("allocations", result.allocations))
        bursts.append(("ceiling", result.ceiling))
        for index, (name, burst) in enumerate(bursts):
            print(
                f"  {number if index == 0 else '':<7}{name:<13}{burst.requests:>9}"
                f"{burst.throughput:>9.1f}{burst.percentile(0.50) * 1000:>9.1f}"
                f"{burst.percentile(0.99) * 1000:>9.1f}"
                f"{statistics.fmean(burst.latencies) * 1000:>9.1f}"
                f"{burst.client_cpu_seconds / burst.seconds:>11.0%}"
                + (f"{ratio(burst, result.ceiling):>7.2f}" if name != "ceiling" else "")
            )
    first = rounds[0].registration
    print(
        f"  each round: confirmed {first.confirmed} (capacity {options.capacity}), "
        f"all {first.requests} answered 201"
    )
    plain = statistics.median(ratio(result.registration, result.ceiling) for result in rounds)
    verdict = "meets" if plain >= TARGET_RATIO else "BELOW"
    print(
        f"  registration/ceiling, median of {len(rounds)} rounds = {plain:.2f} "
        f"({verdict} the target of {TARGET_RATIO})"
    )
    if options.allocations:
        kept = statistics.median(ratio(result.allocations, result.ceiling) for result in rounds)
        against_plain = statistics.median(
            ratio(result.allocations, result.registration) for result in rounds
        )
        print(
            f"  with allocations ({options.allocations} seats kept for each of the 7 cities, "
            f"confirmed {rounds[0].allocations.confirmed} by the city rules):"
            f" allocations/ceiling = {kept:.2f}, allocations/registration = {against_plain:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=1000, help="registrations to send")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--capacity", type=int, default=100, help="seats of the event")
    parser.add_argument(
        "--rounds", type=int, default=5, help="pairs of registration and ceiling bursts"
    )
    parser.add_argument(
        "--allocations",
        type=int,
        default=0,
        metavar="N",
        help="also rush an event keeping N seats for each of the 7 coalition cities",
    )
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create the throw-away database on",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds after which a burst stops"
    )
    options = parser.parse_args(argv)
    if not 1 <= options.requests <= 100_000 or not 1 <= options.clients <= 512:
        parser.error("--requests must be 1..100000 and --clients 1..512")
    if not 1 <= options.rounds <= 20:
        parser.error("--rounds must be 1..20")
    if not 0 <= 7 * options.allocations <= options.capacity:
        parser.error("--allocations must be 0 or more, and 7 times it at most --capacity")
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    for backend in backends:
        report(backend, run_backend(backend, options), options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
