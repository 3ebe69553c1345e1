"""Registration rush through the balancer: one application host against two.

Run from the project root, as root (the hosts are network namespaces), with
nginx installed (`make test` installs it) and PostgreSQL answering at
``--postgres-url``; the script creates a database of its own there and drops
it at the end:

    .venv/bin/python -m bench.multihost_rush
    .venv/bin/python -m bench.multihost_rush --rounds 5 --workers 4 --pgbouncer

It builds the set-up of docs/scaling.md on this machine (``tests.support.hosts``):
three hosts, each ``gunicorn wsgi:app`` in a network namespace of its own,
sharing one PostgreSQL (through its Unix socket, or through PgBouncer in
transaction mode with ``--pgbouncer``) and one Redis: hosts A and B with
``--workers`` workers, host C with twice as many. Three nginx balancers stand
in front: to A alone ("1 host"), to A and B ("2 hosts"), and to C alone ("1 host,
2x workers": as many processes as two hosts, on one). Rate limits are off, as
in ``bench.registration_rush``, whose clients this script reuses.

Each round rushes one event per set-up (``--capacity`` seats, a waitlist) with
``--requests`` registrations from ``--clients`` concurrent clients, the
set-ups back to back, because on a shared virtual machine the speed drifts
from minute to minute. It checks that every request was answered 201 and that
exactly ``min(capacity, requests)`` were confirmed, and prints throughput and
latency of each, and the ratios two hosts / one host and two hosts / one host
with as many workers (medians of the rounds).

All hosts run on this one machine and share its cores, so a second host adds no
processor time. Two hosts beat one only as far as twice the processes do on
one host (more requests overlap their waits for the database; on a machine busy
with other work, more processes get more of its time): the second ratio says
whether the balancer and the sharing cost anything. That two machines give
about twice one can only be measured on two machines.
"""

from __future__ import annotations

import argparse
import contextlib
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


#: The bursts of a round: a name, and which of the three hosts the balancer sends to.
SET_UPS = (
    ("1 host", (0,)),
    ("2 hosts", (0, 1)),
    ("1 host, 2x workers", (2,)),
)


def run(options: argparse.Namespace) -> list[list[Rush]]:
    """``options.rounds`` rounds, each a burst through every set-up of ``SET_UPS``."""
    with fresh_database("postgresql", options.postgres_url) as database_url:
        warm_up_id, event_ids, _ = prepare(database_url, options.capacity, 3 * options.rounds)
        rounds = []
        with contextlib.ExitStack() as stack:
            running = stack.enter_context(
                cluster(
                    database_url,
                    hosts=3,
                    workers=[options.workers, options.workers, 2 * options.workers],
                    via_pgbouncer=options.pgbouncer,
                    environment={"RATELIMIT_ENABLED": "0", "REGISTRATION_ENV": "production"},
                )
            )
            hosts = running.network.hosts
            balancers = [
                stack.enter_context(
                    nginx_balancer([f"{hosts[index].address}:{HOST_PORT}" for index in chosen])
                )
                for _, chosen in SET_UPS
            ]
            for number, balancer in enumerate(balancers):
                # The warm-up event has room for every balancer's share.
                share = WARM_UP_REQUESTS // len(balancers)
                rush(
                    balancer,
                    f"/api/v1/events/{warm_up_id}/registrations",
                    registration_bodies(share, f"warm{number}"),
                    min(options.clients, share),
                    deadline=time.monotonic() + options.timeout,
                )
            for number in range(options.rounds):
                bursts = []
                for index, balancer in enumerate(balancers):
                    event_id = event_ids[len(balancers) * number + index]
                    bursts.append(
                        rush(
                            balancer,
                            f"/api/v1/events/{event_id}/registrations",
                            registration_bodies(options.requests, f"r{number}s{index}"),
                            options.clients,
                            deadline=time.monotonic() + options.timeout,
                        )
                    )
                rounds.append(bursts)
        confirmed = min(options.capacity, options.requests)
        expected = Counter({"confirmed": confirmed, "waitlisted": options.requests - confirmed})
        for number, bursts in enumerate(rounds):
            for index, burst in enumerate(bursts):
                check("postgresql", SET_UPS[index][0], burst, options.requests)
                statuses = count_statuses(database_url, event_ids[len(bursts) * number + index])
                assert statuses == +expected, f"registrations {dict(statuses)}, not {expected}"
                burst.confirmed = statuses["confirmed"]
    return rounds


def report(rounds: list[list[Rush]], options: argparse.Namespace) -> None:
    database = "PgBouncer (transaction mode)" if options.pgbouncer else "PostgreSQL's Unix socket"
    print(
        f"\nthrough nginx, {options.workers} gunicorn workers a host, {options.clients} clients, "
        f"{database}, {options.requests} registrations a burst at {options.capacity} seats"
    )
    print(f"  {'round':<7}{'set-up':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'client CPU':>12}")
    for number, bursts in enumerate(rounds, start=1):
        for index, burst in enumerate(bursts):
            print(
                f"  {number if index == 0 else '':<7}{SET_UPS[index][0]:<20}"
                f"{burst.throughput:>9.1f}{burst.percentile(0.50) * 1000:>9.1f}"
                f"{burst.percentile(0.99) * 1000:>9.1f}"
                f"{burst.client_cpu_seconds / burst.seconds:>11.0%}"
            )
    medians = [statistics.median(bursts[i].throughput for bursts in rounds) for i in range(3)]
    two_to_one = statistics.median(bursts[1].throughput / bursts[0].throughput for bursts in rounds)
    two_to_doubled = statistics.median(
        bursts[1].throughput / bursts[2].throughput for bursts in rounds
    )
    print(
        "  median req/s: "
        + ", ".join(f"{name} {rate:.1f}" for (name, _), rate in zip(SET_UPS, medians, strict=True))
    )
    print(
        f"  two hosts / one host = {two_to_one:.2f}; two hosts / one host with as many "
        f"workers = {two_to_doubled:.2f} (medians of {len(rounds)} rounds)"
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
    parser.add_argument("--rounds", type=int, default=3, help="rounds of one burst per set-up")
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
