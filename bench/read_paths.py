"""Read paths: the public calendar feed and the event list, against a bare Flask "hello".

Run from the project root (PostgreSQL must answer at ``--postgres-url`` for the
PostgreSQL half; the script creates a database of its own there and drops it
at the end):

    .venv/bin/python -m bench.read_paths
    .venv/bin/python -m bench.read_paths --backend sqlite --seconds 5 --clients 8

For each backend it creates a fresh database, migrates it and publishes
``--events`` events across the seven cities (100 by default), then serves the
service as production does (``gunicorn --workers 4 wsgi:app``, rate limits
off, a fixed ``SECRET_KEY``) and measures, each for at most ``--requests``
requests and ``--seconds`` seconds, in ``--rounds`` rounds:

- the public feed ``/calendar.ics`` answered in full (what a client without a
  copy gets; each worker renders a version once, then serves it from memory,
  and looks the version up in the database at most once a second, see
  ``registration/ical/views.py``);
- the same feed answered ``304 Not Modified`` to ``If-None-Match`` (what a
  subscribed client polling every few minutes gets);
- the event list page ``/``;
- for comparison, both feed answers again from a server with that once-a-second
  memo off ("full, ask" and "304, ask"): one aggregate query per request.

Beside it, in the same run, it serves ``hello_app`` below, a bare Flask
application whose one view returns "hello", under the same gunicorn settings,
and measures it the same way, in the same rounds: each round measures every
path in turn, so that whatever else the machine is doing weighs on all alike.
Each figure is printed as requests per second and as a ratio to hello; the
targets are 0.5 for the 304 answers, 0.2 for the full feed and 0.25 for the
event list. Every path gets a warm-up first, so that no worker's first-request
set-up is counted.

The clients are processes (not threads: the GIL would cap the load they can
make), each sending requests one after another, each on a fresh connection
(gunicorn's sync workers close it after every response, as they would behind
a reverse proxy). On a small machine the clients share the CPUs with the
server; the script prints the clients' CPU share so that you can see it. This
is a benchmark, not a test: it asserts only that every answer had the expected
status. Everything listens on and talks to 127.0.0.1 only, and every loop is
bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from bench.databases import fresh_database
from tests.support.servers import gunicorn_server

WORKERS = 4
WARM_UP_REQUESTS = 200
SECRET_KEY = "bench-read-paths-not-a-secret-" + "0" * 32
TARGETS = {"feed 304": 0.5, "feed full": 0.2, "event list": 0.25}


def hello_app():
    """The baseline gunicorn serves: Flask and nothing else (``bench.read_paths:hello_app()``)."""
    from flask import Flask

    app = Flask(__name__)

    @app.get("/")
    def hello():
        """Say hello: the least a Flask request can cost."""
        return "hello"

    return app


def service_asking_every_time():
    """The service with the version memo off (``ICAL_VERSION_TTL=0``): one query per feed request.

    Served as ``bench.read_paths:service_asking_every_time()``, for comparison.
    """
    from registration import create_app

    return create_app({"ICAL_VERSION_TTL": 0})


@dataclass
class Result:
    """What one measurement saw."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    body_bytes: int = 0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _client(job: tuple) -> tuple[list[float], Counter, list[str], float, int, float, float]:
    """One client process: ``count`` requests, one after another, until ``deadline``."""
    base_url, path, headers, count, start_at, deadline = job
    host, port = base_url.removeprefix("http://").split(":")
    assert host == "127.0.0.1", base_url
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: list[str] = []
    body_bytes = 0
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = time.process_time()
    began = time.perf_counter()
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        sent = time.perf_counter()
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body_bytes += len(response.read())
            statuses[response.status] += 1
        except (OSError, http.client.HTTPException) as error:
            if len(errors) < 10:
                errors.append(repr(error))
            continue
        finally:
            connection.close()
        latencies.append(time.perf_counter() - sent)
    ended = time.perf_counter()
    return (
        latencies,
        statuses,
        errors,
        time.process_time() - cpu_before,
        body_bytes,
        began,
        ended,
    )


def _client_process(answers, job: tuple) -> None:
    answers.put(_client(job))


def measure(
    name: str,
    base_url: str,
    path: str,
    *,
    requests: int,
    clients: int,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> Result:
    """Up to ``requests`` GETs of ``path`` in ``timeout`` seconds, from ``clients`` processes.

    The processes start together; each stops after its share of the requests or
    at the deadline, whichever comes first.
    """
    share, extra = divmod(requests, clients)
    start_at = time.time() + 0.3  # every process is ready by then
    deadline = time.monotonic() + 0.3 + timeout
    jobs = [
        (base_url, path, headers or {}, share + (index < extra), start_at, deadline)
        for index in range(clients)
    ]
    # Forked, so they start in milliseconds; one process per client, all released at start_at.
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    processes = [context.Process(target=_client_process, args=(answers, job)) for job in jobs]
    for process in processes:
        process.start()
    try:
        finished = [answers.get(timeout=timeout + 60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    result = Result(name)
    began, ended = [], []
    for latencies, statuses, errors, cpu, body_bytes, start, end in finished:
        result.latencies += latencies
        result.statuses += statuses
        result.errors += errors
        result.client_cpu_seconds += cpu
        result.body_bytes += body_bytes
        began.append(start)
        ended.append(end)
    result.requests = sum(result.statuses.values())
    # perf_counter is system-wide on Linux (CLOCK_MONOTONIC), so processes compare.
    result.seconds = max(ended) - min(began)
    return result


def publish_programme(database_url: str, count: int) -> None:
    """Migrate and publish ``count`` events over the coming months, in all seven cities."""
    from flask_migrate import upgrade

    from registration import create_app
    from registration.database import utcnow
    from registration.events.models import EventType
    from registration.extensions import db
    from tests.factories import make_event

    cities = ["wroclaw", "gdansk", "katowice", "lublin", "lodz", "poznan", "szczecin"]
    types = list(EventType)
    description = "\n\n".join(
        "Program dnia: spotkanie z zespołem instytucji, spacer po dzielnicy, "
        "rozmowa o finansowaniu, publiczności i współpracy z organizacjami pozarządowymi."
        for _ in range(4)
    )
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
            start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
            for number in range(count):
                make_event(
                    title=f"Seminarium problemowe nr {number + 1}: kultura w mieście",
                    type=types[number % len(types)],
                    city_slug=cities[number % len(cities)],
                    starts_at=start + timedelta(days=number * 2, hours=number % 5),
                    hours=6,
                    capacity=30,
                    description=description,
                )
            db.session.commit()
            db.session.close()
            db.engine.dispose()


def conditional_on(base_url: str) -> dict[str, str]:
    """The header of a client that holds the current public feed."""
    return {"If-None-Match": public_feed_etag(base_url)}


def public_feed_etag(base_url: str) -> str:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", "/calendar.ics")
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        return response.getheader("ETag")
    finally:
        connection.close()


def run_backend(backend: str, options: argparse.Namespace) -> list[Result]:
    """Serve hello and the service side by side; measure each path in interleaved rounds."""
    settings = {
        "requests": options.requests,
        "clients": options.clients,
        "timeout": options.seconds,
    }
    warm_up = {**settings, "requests": WARM_UP_REQUESTS, "timeout": 30}
    environment = {"SECRET_KEY": SECRET_KEY, "RATELIMIT_ENABLED": "0"}
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(fresh_database(backend, options.postgres_url))
        publish_programme(database_url, options.events)
        # Idle workers cost nothing, so both servers can run for the whole measurement.
        hello_url = stack.enter_context(
            gunicorn_server(
                database_url,
                app="bench.read_paths:hello_app()",
                workers=WORKERS,
                registration_env="production",
                environment=environment,
            )
        )
        service_url = stack.enter_context(
            gunicorn_server(
                database_url,
                workers=WORKERS,
                registration_env="production",
                environment=environment,
            )
        )
        asking_url = stack.enter_context(
            gunicorn_server(
                database_url,
                app="bench.read_paths:service_asking_every_time()",
                workers=WORKERS,
                registration_env="production",
                environment=environment,
            )
        )
        # Each server has its own BASE_URL, which is part of the feed and of its ETag.
        paths = {
            "hello": (hello_url, "/", {}),
            "feed full": (service_url, "/calendar.ics", {}),
            "feed 304": (service_url, "/calendar.ics", conditional_on(service_url)),
            "event list": (service_url, "/", {}),
            "full, ask": (asking_url, "/calendar.ics", {}),
            "304, ask": (asking_url, "/calendar.ics", conditional_on(asking_url)),
        }
        for base_url, path, headers in paths.values():
            measure("warm-up", base_url, path, headers=headers, **warm_up)
        # Rounds, each path in turn: whatever else the machine does affects all alike.
        rounds = [
            [
                measure(name, base_url, path, headers=headers, **settings)
                for name, (base_url, path, headers) in paths.items()
            ]
            for _ in range(options.rounds)
        ]
    results = [_combined(list(same_path)) for same_path in zip(*rounds, strict=True)]
    expected = {
        "hello": 200,
        "feed full": 200,
        "feed 304": 304,
        "event list": 200,
        "full, ask": 200,
        "304, ask": 304,
    }
    for result in results:
        problems = list(result.errors)
        if set(result.statuses) != {expected[result.name]}:
            problems.append(f"statuses {dict(result.statuses)}")
        if result.requests == 0:
            problems.append("no request answered")
        if problems:
            raise AssertionError(f"{backend} {result.name}: " + "; ".join(problems[:10]))
    return results


def _combined(parts: list[Result]) -> Result:
    """The rounds of one path as one result: all requests over all the time they took."""
    total = Result(parts[0].name)
    for part in parts:
        total.requests += part.requests
        total.seconds += part.seconds
        total.latencies += part.latencies
        total.statuses += part.statuses
        total.errors += part.errors
        total.client_cpu_seconds += part.client_cpu_seconds
        total.body_bytes += part.body_bytes
    return total


def report(backend: str, results: list[Result], clients: int) -> None:
    hello = next(result for result in results if result.name == "hello")
    cpus = os.cpu_count() or 1
    print(f"\n{backend}: {WORKERS} gunicorn workers, {clients} client processes, {cpus} CPUs")
    print(
        f"  {'':<11}{'requests':>9}{'req/s':>9}{'× hello':>9}{'target':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'KiB/ans':>9}{'client CPU':>12}"
    )
    for result in results:
        ratio = result.throughput / hello.throughput if hello.throughput else 0.0
        target = TARGETS.get(result.name)
        verdict = "" if target is None else ("  ok" if ratio >= target else "  BELOW")
        print(
            f"  {result.name:<11}{result.requests:>9}{result.throughput:>9.0f}{ratio:>9.2f}"
            f"{'' if target is None else f'{target:.2f}':>8}"
            f"{result.percentile(0.5) * 1000:>8.1f}{result.percentile(0.99) * 1000:>8.1f}"
            f"{result.body_bytes / max(result.requests, 1) / 1024:>9.1f}"
            f"{result.client_cpu_seconds / result.seconds / cpus:>11.0%}{verdict}"
        )
    mean_hello = statistics.fmean(hello.latencies) * 1000 if hello.latencies else float("nan")
    print(f"  (hello's mean latency {mean_hello:.1f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=3000, help="most requests per measurement")
    parser.add_argument("--clients", type=int, default=8, help="client processes")
    parser.add_argument("--events", type=int, default=100, help="published events")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server to create the throw-away database on",
    )
    parser.add_argument("--seconds", type=float, default=3, help="most seconds per path and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all paths")
    options = parser.parse_args(argv)
    if not 1 <= options.requests <= 100_000 or not 1 <= options.clients <= 64:
        parser.error("--requests must be 1..100000 and --clients 1..64")
    if not 0.5 <= options.seconds <= 600 or not 1 <= options.rounds <= 20:
        parser.error("--seconds must be 0.5..600 and --rounds 1..20")
    if not 1 <= options.events <= 5000:
        parser.error("--events must be 1..5000")
    # Each request opens a connection: make sure the clients have descriptors to spare.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    for backend in backends:
        report(backend, run_backend(backend, options), options.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
