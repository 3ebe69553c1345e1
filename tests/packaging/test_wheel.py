"""The service installs as a package: the wheel alone runs it, in Polish, with nothing
from the checkout beside it.

The wheel is built from a copy of the checkout's files (those git would commit), so
that nothing the build leaves behind (``build/``, compiled catalogues) can hide a file
missing from the package. It is installed into a fresh virtual environment outside the
checkout, and the service runs from an empty working directory, with an environment
that names no path of the checkout, as an operator would run it: migrate SQLite, load
the demo, serve with gunicorn, register someone, send the queued mail.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Building and installing the wheel takes a minute or two, its dependencies from the cache.
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]

PROJECT = Path(__file__).resolve().parents[2]
APP = "registration.wsgi"


def run(command: list[str | Path], **options) -> subprocess.CompletedProcess:
    """Run a command to the end; a failure shows what it printed."""
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **options,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel`` on a copy of the files git would commit: no build output, no ``.mo``."""
    source = tmp_path_factory.mktemp("source")
    listed = run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=PROJECT
    )
    for name in filter(None, listed.stdout.split("\0")):
        original, copy = PROJECT / name, source / name
        if not original.is_symlink() and not original.is_file():
            continue  # deleted from the work tree but not yet from git's index
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(original, copy, follow_symlinks=False)
    assert not list(source.rglob("*.mo")), "the copy should have no compiled catalogue"
    wheels = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", wheels, source])
    [built] = wheels.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment, outside the checkout, with the wheel installed."""
    folder = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", folder])
    run([folder / "bin" / "python", "-m", "pip", "install", "--quiet", wheel])
    return folder


@pytest.fixture
def service(venv: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty working directory, and an environment that knows nothing of the checkout."""
    workdir = tmp_path / "koalicja"
    workdir.mkdir()
    path = [
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and not Path(folder).resolve().is_relative_to(PROJECT)
    ]
    environment = {
        "PATH": os.pathsep.join([str(venv / "bin"), *path]),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    return workdir, environment


#: What the service reads from its own package as it runs, one of each kind.
PACKAGE_FILES = (
    "registration/config.py",
    "registration/wsgi.py",
    "registration/templates/base.html",
    "registration/templates/emails/confirmed.txt",
    "registration/static/css/site.css",
    "registration/static/fonts/DejaVuSans.ttf",
    "registration/migrations/alembic.ini",
    "registration/migrations/env.py",
    "registration/migrations/script.py.mako",
    "registration/migrations/versions/0001_initial_schema.py",
    "registration/translations/pl/LC_MESSAGES/messages.mo",
)


def test_the_wheel_holds_everything_the_service_reads(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert [name for name in PACKAGE_FILES if name not in names] == []
    # Nothing else lands at the top of site-packages: no `config` or `wsgi` of ours
    # to shadow another project's.
    top_level = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top_level == {"registration"}


def test_the_installed_service_migrates_serves_polish_and_writes_its_mail(venv, service):
    workdir, environment = service
    python, flask = venv / "bin" / "python", venv / "bin" / "flask"
    where = run(
        [python, "-c", "import registration; print(registration.__file__)"],
        cwd=workdir,
        env=environment,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), "imported from the venv only"

    run([flask, "--app", APP, "db", "upgrade"], cwd=workdir, env=environment)
    run([flask, "--app", APP, "demo", "load"], cwd=workdir, env=environment)
    instance = workdir / "instance"
    assert (instance / "registration.sqlite3").is_file(), "the default database is in instance/"

    with gunicorn(venv, workdir, environment) as server:
        page = server.get("/")
        assert page.status == 200
        html = page.read().decode()
        assert 'lang="pl"' in html
        assert "Wizyty studyjne" in html, "the event types should be named in Polish"
        assert "Study visits" not in html

        events = json.loads(server.get("/api/v1/events").read())["events"]
        event = next(e for e in events if e["registration_open"] and e["seats_left"])
        answer = server.post_json(
            f"/api/v1/events/{event['id']}/registrations",
            {
                "name": "Anna Kowalska",
                "email": "anna.kowalska@example.org",
                "institution": "Teatr Miejski",
                "category": "culture_staff",
                "city": "Lublin",
                "consent": True,
            },
        )
        assert answer.status == 201, answer.read()
        assert json.loads(answer.read())["status"] == "confirmed"

    run([flask, "--app", APP, "mail", "send-queued"], cwd=workdir, env=environment)
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in (instance / "mail").glob("*.eml")
    ]
    [confirmation] = [m for m in messages if m["To"] == "Anna Kowalska <anna.kowalska@example.org>"]
    assert confirmation["Subject"] == f"Potwierdzenie rejestracji: {event['title']}"


class Server:
    """Requests to the served service, on loopback."""

    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, path: str) -> http.client.HTTPResponse:
        return self._request("GET", path)

    def post_json(self, path: str, body: dict) -> http.client.HTTPResponse:
        headers = {"Content-Type": "application/json"}
        return self._request("POST", path, json.dumps(body).encode(), headers)

    def _request(self, method, path, body=None, headers=None) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, body, headers or {})
        return connection.getresponse()


@contextlib.contextmanager
def gunicorn(venv: Path, workdir: Path, environment: dict[str, str]) -> Iterator[Server]:
    """``gunicorn registration.wsgi:app`` from the venv, as README's production section says."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = workdir / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                venv / "bin" / "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-control-socket",
                f"{APP}:app",
            ],
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the master and its worker are one group to stop
        )
    try:
        server = Server(port)
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
            with contextlib.suppress(OSError):
                server.get("/").read()
                break
            time.sleep(0.1)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
