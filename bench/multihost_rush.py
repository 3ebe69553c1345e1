"""Registration rush through the balancer: one application host against two.

Run from the project root, as root (the hosts are network namespaces), with
nginx installed (`make test` installs it) and PostgreSQL answering at
``--postgres-url``; the script creates a database of its own there and drops
it at the end:

    .venv/bin/python -m bench.multihost_rush
    .venv/bin/python -m bench.multihost_rush --rounds 5 --workers 4 --pgbouncer

It builds the set-up of docs/scaling.md on this machine (``tests.support.hosts``):
two hosts, each ``gunicorn --workers N wsgi:app`` in a network namespace of its
own, sharing one PostgreSQL (through its Unix socket, or through PgBouncer in
transaction mode with ``--pgbouncer``) and one Redis; and two nginx balancers
in front, one proxying to host A only, the other to both. Rate limits are off,
as in ``bench.registration_rush``, whose clients this script reuses.

Each round rushes one event (``--capacity`` seats, a waitlist) with
``--requests`` registrations from ``--clients`` concurrent clients through the
one-host balancer, then another through the two-host balancer: a pair measured
back to back, because on a shared virtual machine the speed drifts from minute
to minute. It checks that every request was answered 201 and that exactly
``min(capacity, requests)`` were confirmed, and prints throughput and latency
of both and their ratio (the median of the rounds).

Both hosts run on this one machine: they share its cores, so two hosts can only
be faster than one where one host leaves cores idle. On a machine with as many
cores as one host's workers keep busy, expect a ratio near 1; the figure shows
that the balancer and the shared database cost nothing measurable, not that a
second machine would double the rate (that needs a second machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter

from bench.databases import fresh_database
from bench.registration_rush import (
    Rush,
    check,
    count_statuses,
    prepare,
    registration_bodies,
    rush,
)
from tests.support.hosts import HOST_PORT, can_make_hosts, cluster, nginx_balancer

WARM_UP_REQUESTS = 60


def run(options: argparse.Namespace) -> list[tuple[Rush, Rush]]:
    """``options.rounds`` pairs of bursts: (one host, two hosts)."""
    with fresh_database("postgresql", options.postgres_url) as database_url:
        # Two events a round: the first of each pair for one host, the second for two.
        warm_up_id, event_ids, _ = prepare(database_url, options.capacity, 2 * options.rounds)
        rounds = []
        with cluster(
            database_url,
            workers=options.workers,
            via_pgbouncer=options.pgbouncer,
            environment={"RATELIMIT_ENABLED": "0", "REGISTRATION_ENV": "production"},
        ) as running:
            first = running.network.hosts[0]
            with nginx_balancer([f"{first.address}:{HOST_PORT}"]) as one_host:
                for number, balancer in enumerate((one_host, running.balancer)):
                    # The warm-up event takes WARM_UP_REQUESTS a balancer; it has room.
                    rush(
                        balancer,
                        f"/api/v1/events/{warm_up_id}/registrations",
                        registration_bodies(WARM_UP_REQUESTS // 2, f"warm{number}"),
                        min(options.clients, WARM_UP_REQUESTS // 2),
                        deadline=time.monotonic() + options.timeout,
                    )
                for number in range(options.rounds):
                    pair = []
                    for index, balancer in enumerate((one_host, running.balancer)):
                        event_id = event_ids[2 * number + index]
                        pair.append(
                            rush(
                                balancer,
                                f"/api/v1/events/{event_id}/registrations",
                                registration_bodies(options.requests, f"r{number}h{index}"),
                                options.clients,
                                deadline=time.monotonic() + options.timeout,
                            )
                        )
                    rounds.append(tuple(pair))
        confirmed = min(options.capacity, options.requests)
        expected = Counter({"confirmed": confirmed, "waitlisted": options.requests - confirmed})
        for number, pair in enumerate(rounds):
            for index, burst in enumerate(pair):
                check("postgresql", f"{index + 1} host(s)", burst, options.requests)
                statuses = count_statuses(database_url, event_ids[2 * number + index])
                assert statuses == +expected, f"registrations {dict(statuses)}, not {expected}"
                burst.confirmed = statuses["confirmed"]
    return rounds


def report(rounds: list[tuple[Rush, Rush]], options: argparse.Namespace) -> None:
    database = "PgBouncer (transaction mode)" if options.pgbouncer else "PostgreSQL's Unix socket"
    print(
        f"\nthrough nginx, {options.workers} gunicorn workers a host, {options.clients} clients, "
        f"{database}, {options.requests} registrations a burst at {options.capacity} seats"
    )
    print(f"  {'round':<7}{'hosts':<7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'client CPU':>12}")
    for number, pair in enumerate(rounds, start=1):
        for index, burst in enumerate(pair):
            print(
                f"  {number if index == 0 else '':<7}{index + 1:<7}{burst.throughput:>9.1f}"
                f"{burst.percentile(0.50) * 1000:>9.1f}{burst.percentile(0.99) * 1000:>9.1f}"
                f"{burst.client_cpu_seconds / burst.seconds:>11.0%}"
            )
    one = statistics.median(pair[0].throughput for pair in rounds)
    two = statistics.median(pair[1].throughput for pair in rounds)
    ratio = statistics.median(pair[1].throughput / pair[0].throughput for pair in rounds)
    print(
        f"  median: one host {one:.1f}/s, two hosts {two:.1f}/s; "
        f"two/one = {ratio:.2f} (median of {len(rounds)} rounds)"
    )
    print(
        f"  every burst: all {options.requests} answered 201, "
        f"{rounds[0][0].confirmed} confirmed (capacity {options.capacity})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="registrations a burst")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--capacity", type=int, default=100, help="seats of each event")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers a host")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of bursts")
    parser.add_argument("--pgbouncer", action="store_true", help="the hosts go through PgBouncer")
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
    if not 1 <= options.rounds <= 20 or not 1 <= options.workers <= 16:
        parser.error("--rounds must be 1..20 and --workers 1..16")
    reason = can_make_hosts()
    if reason:
        parser.error(reason)
    report(run(options), options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
