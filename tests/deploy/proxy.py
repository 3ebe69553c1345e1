"""The production set-up on loopback: Debian's nginx running deploy/nginx/koalicja.conf in
front of gunicorn running deploy/gunicorn.conf.py, as docs/operations.md describes them.

Both files are used as they are, with only their example values replaced (the host
name, the certificate, the ports, the static folder, the log folder): ``render_site``
fails if one of those values is no longer in the file, so the test cannot drift from it.
nginx gets a main configuration of its own in a temporary folder (its pid file, temp
folders and logs there), listens on 127.0.0.1 only, and uses a self-signed certificate
made by ``openssl`` for 127.0.0.1. gunicorn runs the service in production mode on the
test's database, with ``TRUSTED_PROXY_HOPS=1``, on a socket bound here and handed over
as ``fd://N`` (``tests.support.servers`` explains why).
"""

from __future__ import annotations

import contextlib
import getpass
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.units import DEPLOY, PROJECT
from tests.support.servers import has_exited, stop_process, tail

LOOPBACK = "127.0.0.1"
NGINX = Path("/usr/sbin/nginx")


class ProxyError(RuntimeError):
    """nginx or gunicorn did not come up; the message ends with its log."""


@dataclass(frozen=True)
class Deployment:
    https_url: str  # what clients use: nginx over TLS
    http_url: str  # nginx's plain-HTTP port, which only redirects
    gunicorn_url: str  # behind nginx, for comparison only
    certificate: Path  # the self-signed certificate, for clients to trust
    folder: Path  # nginx's logs are in folder / "logs"

    def access_log(self) -> str:
        return (self.folder / "logs" / "koalicja.access.log").read_text(errors="replace")


def render_site(site: str, replacements: list[tuple[str, str]]) -> str:
    """The nginx site with its example values replaced, each of which must be there."""
    for example, value in replacements:
        assert example in site, f"deploy/nginx/koalicja.conf no longer has {example!r}"
        site = site.replace(example, value)
    return site


@contextlib.contextmanager
def deployment(database_url: str, *, environment: dict[str, str]) -> Iterator[Deployment]:
    """nginx in front of gunicorn, both stopped at the end whatever happens."""
    if not NGINX.exists():
        raise ProxyError(f"{NGINX} is missing: `make test` installs Debian's nginx package")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nginx-")))
        https_port, http_port = _free_port(), _free_port()
        https_url = f"https://{LOOPBACK}:{https_port}"
        gunicorn_url = stack.enter_context(
            _gunicorn(database_url, folder, base_url=https_url, environment=environment)
        )
        certificate, key = _self_signed_certificate(folder)
        site = render_site(
            (DEPLOY / "nginx" / "koalicja.conf").read_text(encoding="utf-8"),
            [
                ("/etc/letsencrypt/live/rejestracja.example.pl/fullchain.pem", str(certificate)),
                ("/etc/letsencrypt/live/rejestracja.example.pl/privkey.pem", str(key)),
                ("https://rejestracja.example.pl$request_uri", f"{https_url}$request_uri"),
                ("server_name rejestracja.example.pl;", f"server_name {LOOPBACK};"),
                ("listen 80;", f"listen {LOOPBACK}:{http_port};"),
                ("listen 443 ssl http2;", f"listen {LOOPBACK}:{https_port} ssl http2;"),
                # IPv6 is no part of the test: loopback over IPv4 only.
                ("    listen [::]:80;\n", ""),
                ("    listen [::]:443 ssl http2;\n", ""),
                ("/srv/koalicja/registration/static/", f"{PROJECT}/registration/static/"),
                ("server 127.0.0.1:8000;", f"server {gunicorn_url.removeprefix('http://')};"),
                ("/var/log/nginx/", f"{folder}/logs/"),
            ],
        )
        directives = "\n".join(
            line for line in site.splitlines() if not line.lstrip().startswith("#")
        )
        for leftover in ("example.pl", "/srv/", "/var/", "[::]"):
            assert leftover not in directives, f"the rendered site still names {leftover}"
        (folder / "koalicja.conf").write_text(site)
        (folder / "nginx.conf").write_text(_main_configuration(folder))
        stack.enter_context(_nginx(folder, https_port))
        yield Deployment(
            https_url=https_url,
            http_url=f"http://{LOOPBACK}:{http_port}",
            gunicorn_url=gunicorn_url,
            certificate=certificate,
            folder=folder,
        )


def _main_configuration(folder: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, with every path in ``folder``."""
    # Run as root, nginx's workers would switch to "nobody", who may not read the checkout.
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/temp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/main.error.log info;
events {{
    worker_connections 64;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp}
    include {folder}/koalicja.conf;
}}
"""


@contextlib.contextmanager
def _nginx(folder: Path, https_port: int) -> Iterator[None]:
    for name in ("logs", "temp"):
        (folder / name).mkdir()
    command = [
        str(NGINX),
        "-p",
        str(folder),
        "-c",
        str(folder / "nginx.conf"),
        "-e",
        str(folder / "logs" / "startup.error.log"),
    ]
    checked = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, timeout=30, check=False
    )
    if checked.returncode != 0:
        raise ProxyError(f"nginx -t refused the configuration:\n{checked.stderr}")
    log = folder / "logs" / "nginx.out"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_port(process, https_port, folder / "logs" / "main.error.log")
        yield
    finally:
        # SIGQUIT: nginx's graceful stop; stop_process sends SIGTERM (a fast stop) if it lingers.
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGQUIT)
        stop_process(process, timeout=10)


@contextlib.contextmanager
def _gunicorn(
    database_url: str, folder: Path, *, base_url: str, environment: dict[str, str]
) -> Iterator[str]:
    """The service under deploy/gunicorn.conf.py, in production mode; yields its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(128)
        url = f"http://{LOOPBACK}:{listener.getsockname()[1]}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONUNBUFFERED": "1",
            "REGISTRATION_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "BASE_URL": base_url,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(folder / "instance"),
            "TRUSTED_PROXY_HOPS": "1",
            "GUNICORN_BIND": f"fd://{listener.fileno()}",
            # One worker: its in-memory rate-limit counters are the whole service's.
            "GUNICORN_WORKERS": "1",
            **environment,
        }
        log = folder / "gunicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    str(DEPLOY / "gunicorn.conf.py"),
                    "wsgi:app",
                ],
                cwd=PROJECT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                start_new_session=True,
            )
        try:
            _wait_for_answer(process, url, log)
            listener.close()  # gunicorn holds the socket now
            yield url
        finally:
            stop_process(process, timeout=15)


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    openssl = shutil.which("openssl")
    assert openssl, "openssl is missing (Debian's openssl package)"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={LOOPBACK}",
            "-addext",
            f"subjectAltName=IP:{LOOPBACK}",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    return certificate, key


def _free_port() -> int:
    """A port nothing listens on now. nginx binds it itself a moment later: the kernel
    hands out ports in turn, so another process taking it meanwhile is very unlikely."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _wait_for_port(process: subprocess.Popen, port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if has_exited(process):
            raise ProxyError(f"nginx exited during start-up:\n{tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 1):
            return
        time.sleep(0.05)
    raise ProxyError(f"nginx did not listen within {timeout:.0f} s:\n{tail(log)}")


def _wait_for_answer(process: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if has_exited(process):
            raise ProxyError(f"gunicorn exited during start-up:\n{tail(log)}")
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            connection.request("GET", "/static/favicon.svg")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
        finally:
            connection.close()
    raise ProxyError(f"gunicorn did not answer within {timeout:.0f} s:\n{tail(log)}")
