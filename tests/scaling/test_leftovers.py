"""The multi-host tests leave nothing behind on the machine, even when killed.

A run that is killed outright (SIGKILL: no ``finally`` runs) leaves its network
namespaces, its bridge, the processes inside the namespaces and the servers it
started beside them. The next run removes all of it before it starts
(``tests.support.hosts.remove_stale``); this test kills such a run and checks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.hosts import PREFIX, RUN_LISTINGS, can_make_hosts, remove_stale

pytestmark = pytest.mark.processes

PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: A run that builds a host with a process inside, and a balancer and Redis beside it,
#: prints the pids, and waits to be killed.
A_RUN = """
import subprocess, sys, time
from tests.support.hosts import nginx_balancer, private_network, redis_server
with private_network(1) as network, redis_server(network.gateway):
    host = network.hosts[0]
    inside = subprocess.Popen(host.command("sleep", "300"), start_new_session=True)
    with nginx_balancer([f"{host.address}:8000"]):
        print(inside.pid, flush=True)
        time.sleep(300)
"""


def ours(pid: int) -> list[str]:
    """The namespaces and network links of the run with this pid."""
    mark = f"{PREFIX}{pid:06x}"
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return [word for word in (names + links).replace(":", " ").split() if mark in word]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    except OSError:
        return "Z"


def servers_of(pid: int) -> list[int]:
    """The pids of the servers a run listed (nginx, Redis)."""
    listing = RUN_LISTINGS / f"{pid}.pids"
    if not listing.exists():
        return []
    return [int(line.split()[0]) for line in listing.read_text().splitlines()]


def test_a_killed_run_is_cleaned_up_by_the_next():
    reason = can_make_hosts()
    if reason:
        pytest.skip(reason)
    run = subprocess.Popen(
        [sys.executable, "-c", A_RUN],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        inside = int(run.stdout.readline())
        servers = servers_of(run.pid)
        assert ours(run.pid), "the run made no namespace"
        assert len(servers) == 2
        assert all(alive(pid) for pid in servers)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        run.stdout.close()
        run.stderr.close()
    # Killed outright, the run has cleaned nothing up.
    assert ours(run.pid)
    assert alive(inside)

    remove_stale()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (alive(inside) or any(map(alive, servers))):
        time.sleep(0.05)
    assert not alive(inside)
    assert not any(alive(pid) for pid in servers)
    assert ours(run.pid) == []
