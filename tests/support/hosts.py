"""Several application hosts on one machine, for the multi-host tests and the benchmark.

Each host is a Linux network namespace with an address of its own on a private
bridge (``10.213.N.0/24``, made for one run and reachable from this machine
only: no route leads out of it, and the machine forwards nothing). What the
hosts share sits in the root namespace, where an operator would put it:

- the balancer, nginx, listening on ``127.0.0.1`` and proxying to the hosts;
- a Redis of the run's own for the rate-limit counters, on the bridge's address;
- PgBouncer, when asked for, on the bridge's address, in front of PostgreSQL;
- PostgreSQL itself is the machine's, which listens on 127.0.0.1 only and is
  not reconfigured: the hosts reach it through its Unix socket (a socket file is
  the same in every network namespace) or through PgBouncer.

Everything gets names that carry the process id of the run (``kmh`` and six hex
digits), and is removed at the end even when the test fails. A run that was
killed before its clean-up leaves namespaces and a bridge whose process id is
dead: the next run removes them, and ends the processes still inside them,
before it starts. Making namespaces needs root (CI runs as root).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers import READY_HOOK, ServerError, stop_process, tail, wait_until_ready

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PREFIX = "kmh"
#: The first two octets of every run's bridge; the third is the run's own.
SUBNET = "10.213"
#: Where every application host's gunicorn listens, on its own address.
HOST_PORT = 8000
REDIS_PORT = 6379
PGBOUNCER_PORT = 6432
_OURS = re.compile(rf"^{PREFIX}([0-9a-f]{{6}})")


class HostsUnavailable(RuntimeError):
    """This machine cannot make network namespaces (not root, or no iproute2)."""


def can_make_hosts() -> str | None:
    """Why hosts cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    if shutil.which("ip") is None:
        return "iproute2's ip is missing"
    return None


def _ip(*arguments: str, check: bool = True) -> str:
    result = subprocess.run(
        ["ip", *arguments], capture_output=True, text=True, timeout=30, check=False
    )
    if check and result.returncode != 0:
        raise HostsUnavailable(f"ip {' '.join(arguments)}: {result.stderr.strip()}")
    return result.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: Where each run lists the servers it starts outside the namespaces (nginx, Redis,
#: PgBouncer), so that the next run can end them if this one was killed.
RUN_LISTINGS = Path(tempfile.gettempdir()) / "koalicja-test-hosts"


def _start_beside(command: list[str], program: str) -> subprocess.Popen:
    """Start a server outside the namespaces (its output goes to its own log), in a
    process group of its own, and note it for the next run: ``pid program``."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    RUN_LISTINGS.mkdir(mode=0o700, exist_ok=True)
    with (RUN_LISTINGS / f"{os.getpid()}.pids").open("a") as file:
        file.write(f"{process.pid} {program}\n")
    return process


def _end_stale_servers() -> None:
    for listing in RUN_LISTINGS.glob("*.pids") if RUN_LISTINGS.is_dir() else []:
        if listing.stem.isdigit() and _alive(int(listing.stem)):
            continue
        for line in listing.read_text().splitlines():
            pid, _, program = line.partition(" ")
            # Its whole group (nginx's workers too). The kernel gives no new process a pid
            # that still names a group: with no process of that pid, a group of that id is
            # ours; with one, it is ours only if it runs the program we started.
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                command = program.encode()
            if program.encode() in command:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(pid), signal.SIGKILL)
        listing.unlink(missing_ok=True)


def remove_stale() -> None:
    """Remove the namespaces and bridges of runs whose process is gone, with what runs
    inside them (a killed run's gunicorn would otherwise live on), and end the servers
    such a run started beside them."""
    _end_stale_servers()
    for line in _ip("netns", "list", check=False).splitlines():
        name = line.split()[0] if line.strip() else ""
        match = _OURS.match(name)
        if match and not _alive(int(match.group(1), 16)):
            _remove_namespace(name)
    for line in _ip("-o", "link", "show", check=False).splitlines():
        parts = line.split(":")
        if len(parts) < 2:
            continue
        name = parts[1].strip().split("@")[0]
        match = _OURS.match(name)
        if match and not _alive(int(match.group(1), 16)):
            _ip("link", "delete", name, check=False)


def _remove_namespace(name: str) -> None:
    for pid in _ip("netns", "pids", name, check=False).split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "delete", name, check=False)


def _free_subnet() -> int:
    """A third octet that no address of this machine uses yet."""
    taken = set(re.findall(rf"inet {re.escape(SUBNET)}\.(\d+)\.", _ip("-o", "addr", "show")))
    start = os.getpid() % 250
    for offset in range(250):
        candidate = (start + offset) % 250 + 1
        if str(candidate) not in taken:
            return candidate
    raise HostsUnavailable(f"every {SUBNET}.N.0/24 is taken")


@dataclass
class Host:
    """One application host: a network namespace and its address."""

    name: str
    namespace: str
    address: str

    def command(self, *arguments: str) -> list[str]:
        """``arguments`` run inside this host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *arguments]


@dataclass
class Network:
    """The run's bridge (``gateway`` is the root namespace's address on it) and its hosts."""

    bridge: str
    gateway: str
    hosts: list[Host] = field(default_factory=list)


@contextlib.contextmanager
def private_network(count: int) -> Iterator[Network]:
    """``count`` hosts on a bridge of their own; everything removed afterwards."""
    reason = can_make_hosts()
    if reason:
        raise HostsUnavailable(reason)
    remove_stale()
    run = f"{PREFIX}{os.getpid():06x}"
    third = _free_subnet()
    network = Network(bridge=f"{run}br", gateway=f"{SUBNET}.{third}.1")
    try:
        _ip("link", "add", network.bridge, "type", "bridge")
        _ip("addr", "add", f"{network.gateway}/24", "dev", network.bridge)
        _ip("link", "set", network.bridge, "up")
        for number in range(count):
            letter = "abcdefgh"[number]
            host = Host(
                name=f"host-{letter}",
                namespace=f"{run}{letter}",
                address=f"{SUBNET}.{third}.{number + 2}",
            )
            network.hosts.append(host)
            _ip("netns", "add", host.namespace)
            # The namespace's end is made inside it, so its name cannot clash with ours.
            outside = f"{run}v{letter}"
            _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns",
                host.namespace)  # fmt: skip
            _ip("link", "set", outside, "master", network.bridge)
            _ip("link", "set", outside, "up")
            _ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.namespace, "link", "set", "eth0", "up")
            _ip("-n", host.namespace, "link", "set", "lo", "up")
        yield network
    finally:
        for host in network.hosts:
            _remove_namespace(host.namespace)  # takes its veth pair with it
        _ip("link", "delete", network.bridge, check=False)
        # The servers beside the hosts were stopped before: nothing is left to end.
        (RUN_LISTINGS / f"{os.getpid()}.pids").unlink(missing_ok=True)


@dataclass
class HostServer:
    """gunicorn running on one host; ``kill()`` ends it as a power cut would."""

    host: Host
    url: str
    process: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no request is finished."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def host_servers(
    hosts: list[Host],
    environment: Mapping[str, str],
    *,
    workers: int | list[int] = 2,
    startup_timeout: float = 90,
    stop_timeout: float = 15,
) -> Iterator[list[HostServer]]:
    """``gunicorn wsgi:app`` on each host, listening on the host's address only.

    All start at once (each takes seconds to load the application), then are waited for.

    :param workers: gunicorn workers a host, or for each host
    """
    counts = workers if isinstance(workers, list) else [workers] * len(hosts)
    with contextlib.ExitStack() as stack:
        started = []
        for host, count in zip(hosts, counts, strict=True):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gunicorn-")))
            ready_dir = folder / "ready"
            ready_dir.mkdir()
            config_file = folder / "gunicorn_conf.py"
            config_file.write_text(READY_HOOK)
            log_path = folder / "gunicorn.log"
            env = {
                **os.environ,
                "REGISTRATION_ENV": "testing",
                "KOALICJA_GUNICORN_READY_DIR": str(ready_dir),
                "PYTHONUNBUFFERED": "1",
                **environment,
            }
            command = host.command(
                sys.executable, "-m", "gunicorn", "--config", str(config_file),
                "--workers", str(count), "--bind", f"{host.address}:{HOST_PORT}",
                "--timeout", "60", "--graceful-timeout", str(max(1, int(stop_timeout) - 5)),
                "--no-control-socket", "--log-level", "warning", "wsgi:app",
            )  # fmt: skip
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # master and workers: one group to kill
                )
            stack.callback(_stop_and_report, process, stop_timeout, log_path, host.name)
            server = HostServer(host, f"http://{host.address}:{HOST_PORT}", process)
            started.append((server, ready_dir, count))
        for server, ready_dir, count in started:
            wait_until_ready(
                server.process, server.url, ready_dir, count, "/api/v1/events", startup_timeout
            )
        yield [server for server, _, _ in started]


def _stop_and_report(process: subprocess.Popen, timeout: float, log: Path, name: str) -> None:
    stop_process(process, timeout)
    if "Traceback" in log.read_text(errors="replace"):
        print(f"--- gunicorn log ({name}) ---\n{tail(log)}", file=sys.stderr)


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(address: str, port: int, process: subprocess.Popen, log: Path, what: str):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{what} exited at start:\n{tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1):
            return
        time.sleep(0.05)
    raise ServerError(f"{what} did not listen on {address}:{port} within 20 s:\n{tail(log)}")


def _signal_then_kill(process: subprocess.Popen, stop: int = signal.SIGTERM) -> None:
    """Send `stop`; kill the whole process group if it has not ended within 10 s."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(stop)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


NGINX_CONFIG = """\
user www-data;
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream hosts {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        location / {{
            proxy_pass http://hosts;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            # A host that refuses the connection is skipped at once. A request already sent
            # is never sent to the other host (nginx's default for POST): it may have been
            # saved, and only the client can decide to ask again.
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            # Which host answered, for the tests; a real site need not say.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@contextlib.contextmanager
def nginx_balancer(upstreams: list[str]) -> Iterator[str]:
    """nginx on ``127.0.0.1`` balancing over ``upstreams`` (``address:port``); its URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise ServerError("nginx is missing: `make test` installs Debian's nginx package")
    with tempfile.TemporaryDirectory(prefix="nginx-") as folder:
        servers = "\n".join(
            f"        server {upstream} max_fails=1 fail_timeout=30s;" for upstream in upstreams
        )
        # A port probed free may be taken before nginx binds it: try another then.
        for _attempt in range(5):
            port = free_loopback_port()
            config = Path(folder) / "nginx.conf"
            config.write_text(NGINX_CONFIG.format(folder=folder, servers=servers, port=port))
            log = Path(folder) / "error.log"
            process = _start_beside(
                [nginx, "-e", str(log), "-p", folder, "-c", str(config), "-g", "daemon off;"],
                "nginx",
            )
            try:
                _wait_for_port("127.0.0.1", port, process, log, "nginx")
            except ServerError:
                _signal_then_kill(process)
                if "Address already in use" in tail(log):
                    continue
                raise
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                _signal_then_kill(process, signal.SIGQUIT)
            return
        raise ServerError("nginx found no free port")


@contextlib.contextmanager
def redis_server(address: str) -> Iterator[str]:
    """A Redis of the run's own on ``address``, keeping nothing on disk; its URL."""
    with tempfile.TemporaryDirectory(prefix="redis-") as folder:
        log = Path(folder) / "redis.log"
        process = _start_beside(
            ["redis-server", "--bind", address, "--port", str(REDIS_PORT), "--save", "",
             "--appendonly", "no", "--dir", folder, "--logfile", str(log),
             "--protected-mode", "no"],
            "redis-server",
        )  # fmt: skip
        try:
            _wait_for_port(address, REDIS_PORT, process, log, "redis-server")
            yield f"redis://{address}:{REDIS_PORT}/0"
        finally:
            _signal_then_kill(process)


PGBOUNCER_CONFIG = """\
[databases]
* = host={server_host} port={server_port}

[pgbouncer]
listen_addr = {address}
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = {pool_size}
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""


@contextlib.contextmanager
def pgbouncer(
    address: str,
    server_host: str,
    server_port: int,
    user: str,
    *,
    port: int = PGBOUNCER_PORT,
    pool_size: int = 20,
) -> Iterator[int]:
    """Debian's PgBouncer in transaction mode on ``address:port``, in front of the
    PostgreSQL server at ``server_host:server_port``, letting ``user`` in with
    ``pool_size`` server connections at most; yields its port."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise ServerError("pgbouncer is missing: `make test` installs Debian's pgbouncer package")
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as folder:
        # PgBouncer refuses to run as root; then it runs as the database's system user.
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        if as_user:
            shutil.chown(folder, "postgres")
        (Path(folder) / "userlist.txt").write_text(f'"{user}" ""\n')
        config = Path(folder) / "pgbouncer.ini"
        config.write_text(
            PGBOUNCER_CONFIG.format(
                server_host=server_host,
                server_port=server_port,
                address=address,
                port=port,
                pool_size=pool_size,
                folder=folder,
            )
        )
        log = Path(folder) / "pgbouncer.log"
        process = _start_beside([binary, *as_user, str(config)], "pgbouncer")
        try:
            _wait_for_port(address, port, process, log, "pgbouncer")
            yield port
        finally:
            _signal_then_kill(process, signal.SIGINT)  # SIGINT: stop at once


def mail_worker_on(
    host: Host, environment: Mapping[str, str], *arguments: str, output: Path
) -> subprocess.Popen:
    """``flask --app wsgi mail send-queued *arguments`` on ``host``; output into a file."""
    env = {
        **os.environ,
        "REGISTRATION_ENV": "testing",
        "PYTHONUNBUFFERED": "1",
        **environment,
    }
    with output.open("w") as file:
        return subprocess.Popen(
            host.command(sys.executable, "-m", "flask", "--app", "wsgi", "mail", "send-queued",
                         *arguments),
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def through_unix_socket(database_url: str) -> str:
    """The same database reached through the server's Unix socket, which every network
    namespace shares: for hosts that cannot reach the server's 127.0.0.1."""
    import sqlalchemy as sa

    url = sa.make_url(database_url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            folders = connection.exec_driver_sql("SHOW unix_socket_directories").scalar()
    finally:
        engine.dispose()
    folder = folders.split(",")[0].strip()
    return url.set(host=None, port=None, query={"host": folder, "port": str(url.port or 5432)})


@dataclass
class Cluster:
    """Hosts behind a balancer, sharing one database and one Redis.

    ``environment`` is what every host runs with (also the mail workers');
    ``balancer`` is the URL clients use.
    """

    network: Network
    balancer: str
    servers: list[HostServer]
    environment: dict[str, str]


@contextlib.contextmanager
def cluster(
    database_url: str,
    *,
    hosts: int = 2,
    workers: int | list[int] = 2,
    via_pgbouncer: bool = False,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """``hosts`` application hosts with ``workers`` gunicorn workers each (or a list: for
    each host), behind nginx.

    :param database_url: a PostgreSQL database on the machine's server (127.0.0.1)
    :param via_pgbouncer: the hosts reach it through PgBouncer in transaction mode,
        with ``DATABASE_PREPARED_STATEMENTS=0`` (docs/scaling.md); else through the
        server's Unix socket
    """
    import sqlalchemy as sa

    server = sa.make_url(database_url)
    with contextlib.ExitStack() as stack:
        network = stack.enter_context(private_network(hosts))
        redis_url = stack.enter_context(redis_server(network.gateway))
        env = {
            "SECRET_KEY": random_secret(),
            "RATELIMIT_STORAGE_URI": redis_url,
            "TRUSTED_PROXY_HOPS": "1",
        }
        if via_pgbouncer:
            port = stack.enter_context(
                pgbouncer(network.gateway, server.host, server.port or 5432, server.username)
            )
            hosts_url = server.set(host=network.gateway, port=port)
            env["DATABASE_PREPARED_STATEMENTS"] = "0"
        else:
            hosts_url = through_unix_socket(database_url)
        env["DATABASE_URL"] = hosts_url.render_as_string(hide_password=False)
        env.update(environment or {})
        # The balancer's address is known only once it runs; the hosts need it as BASE_URL
        # for links alone, so a fixed one does (the tests read no link's host).
        env.setdefault("BASE_URL", "https://koalicja.example.org")
        servers = stack.enter_context(host_servers(network.hosts, env, workers=workers))
        balancer = stack.enter_context(
            nginx_balancer([f"{host.address}:{HOST_PORT}" for host in network.hosts])
        )
        yield Cluster(network, balancer, servers, env)


def random_secret() -> str:
    return "test-" + secrets.token_hex(24)
