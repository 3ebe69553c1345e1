"""Run the real application under gunicorn, as production does, on loopback only.

The concurrency tests and the benchmarks need several *processes* taking seats
at once: threads of one interpreter would share one connection pool and the
GIL, and would prove nothing about the locks. ``gunicorn_server`` starts
``gunicorn --workers N wsgi:app``, waits until every worker has loaded the
application, yields the base URL and, whatever happens in the ``with`` block,
stops the master and every worker within a bounded time.

Choices worth knowing:

- The listening socket is bound here, to ``127.0.0.1`` on a port the kernel
  picks, and handed to gunicorn as ``fd://N``: no window in which another
  process could take a port we probed as free, and nothing ever listens
  beyond loopback.
- ``SECRET_KEY`` is always passed: with ``REGISTRATION_ENV=testing`` each
  worker would otherwise invent its own, and a form or session signed by one
  worker would be refused by the next.
- gunicorn runs in a session of its own, so the master and its workers form one
  process group that is killed as a whole if the graceful stop does not finish
  in time, even when the master itself has died.
- gunicorn's control socket (``~/.gunicorn/gunicorn.ctl`` by default) is
  switched off: several servers at once would fight over that one path.
"""

from __future__ import annotations

import contextlib
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
from collections.abc import Iterator, Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"

# A gunicorn config file: each worker leaves a mark once the application is
# loaded, so "ready" means every worker, not merely the first to answer.
READY_HOOK = """\
import os
import pathlib


def post_worker_init(worker):
    folder = pathlib.Path(os.environ["KOALICJA_GUNICORN_READY_DIR"])
    (folder / str(os.getpid())).touch()
"""


class ServerError(RuntimeError):
    """gunicorn did not come up; the message ends with the tail of its log."""


@contextlib.contextmanager
def gunicorn_server(
    database_url: str,
    *,
    app: str = "wsgi:app",
    workers: int = 4,
    environment: Mapping[str, str] | None = None,
    registration_env: str = "testing",
    chdir: Path = PROJECT_ROOT,
    ready_path: str = "/",
    startup_timeout: float = 60,
    stop_timeout: float = 15,
    request_timeout: int = 60,
    keep_log: Path | None = None,
) -> Iterator[str]:
    """Serve ``app`` with ``workers`` gunicorn processes on loopback; yield its base URL.

    :param database_url: passed to the workers as ``DATABASE_URL``
    :param environment: more variables for the workers; they override the defaults
    :param ready_path: a path that answers (any status) once a worker is up
    :param keep_log: a file to copy gunicorn's output to (the application's too) once it
        has stopped, for the test to read
    :raise ServerError: gunicorn exited or did not answer within ``startup_timeout``
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with contextlib.ExitStack() as stack:
        stack.enter_context(listener)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(1024)
        port = listener.getsockname()[1]
        base_url = f"http://{LOOPBACK}:{port}"

        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gunicorn-")))
        ready_dir = folder / "ready"
        ready_dir.mkdir()
        config_file = folder / "gunicorn_conf.py"
        config_file.write_text(READY_HOOK)
        log_path = folder / "gunicorn.log"

        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REGISTRATION_ENV": registration_env,
            "SECRET_KEY": "test-" + secrets.token_hex(24),
            "RATELIMIT_ENABLED": "0",
            "BASE_URL": base_url,
            "KOALICJA_GUNICORN_READY_DIR": str(ready_dir),
            "PYTHONUNBUFFERED": "1",
        }
        # A developer's real mail server must never get test messages.
        env.pop("MAIL_SERVER", None)
        env.update(environment or {})
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(config_file),
            "--workers",
            str(workers),
            "--bind",
            f"fd://{listener.fileno()}",
            "--timeout",
            str(request_timeout),
            "--graceful-timeout",
            str(max(1, int(stop_timeout) - 5)),
            "--no-control-socket",
            "--log-level",
            "info",
            app,
        ]
        log = stack.enter_context(log_path.open("wb"))
        process = subprocess.Popen(
            command,
            cwd=chdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
            start_new_session=True,
        )
        started = failed = False
        try:
            wait_until_ready(process, base_url, ready_dir, workers, ready_path, startup_timeout)
            started = True
            # gunicorn holds the socket now; our copy only had to stay open until then.
            listener.close()
            failed = True
            yield base_url
            failed = False
        finally:
            stop_process(process, stop_timeout)
            if keep_log is not None:
                shutil.copyfile(log_path, keep_log)
            if started:
                _show_log_if_troubled(log_path, app, failed=failed)


def _show_log_if_troubled(log_path: Path, app: str, *, failed: bool) -> None:
    """Print the server's log when something went wrong on either side.

    pytest shows a test's stderr only when the test fails, so a passing test stays quiet.
    """
    text = log_path.read_text(errors="replace")
    if failed or "Traceback" in text or "[ERROR]" in text:
        print(f"--- gunicorn log ({app}) ---\n{tail(log_path)}", file=sys.stderr)


def wait_until_ready(
    process: subprocess.Popen,
    base_url: str,
    ready_dir: Path,
    workers: int,
    ready_path: str,
    timeout: float,
) -> None:
    log_path = ready_dir.parent / "gunicorn.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if has_exited(process):
            raise ServerError(f"gunicorn exited during start-up:\n{tail(log_path)}")
        if len(list(ready_dir.iterdir())) >= workers and _answers(base_url, ready_path):
            return
        time.sleep(0.05)
    raise ServerError(
        f"gunicorn did not get {workers} workers ready within {timeout:.0f} s:\n{tail(log_path)}"
    )


def _answers(base_url: str, path: str) -> bool:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return True


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """Stop the master gracefully, then make sure no process of its group survives."""
    deadline = time.monotonic() + timeout
    if not has_exited(process):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        while time.monotonic() < deadline and not has_exited(process):
            time.sleep(0.05)
    # The master is either stuck or an unreaped zombie: its pid, which is the
    # group's id, cannot have been reused yet, so this reaches only our processes.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def has_exited(process: subprocess.Popen) -> bool:
    """Whether the process has exited, without reaping it (its pid stays reserved)."""
    if process.returncode is not None:
        return True
    try:
        status = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return status is not None


def tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
