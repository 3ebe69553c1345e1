"""The systemd units run the web server and the mail worker as docs/operations.md says:
as the service's own user, restarted when they fail, with the usual hardening, and with
commands that exist in this checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.units import DEPLOY, PROJECT, SERVER_CHECKOUT, UNITS, exec_start, read_unit

#: What both units must say, and why.
REQUIRED = {
    "User": "koalicja",  # never root: a dedicated system user
    "Group": "koalicja",
    "WorkingDirectory": SERVER_CHECKOUT,
    "EnvironmentFile": "/etc/koalicja/registration.env",
    "Restart": "on-failure",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",  # the whole file system read-only, but the state directory
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "CapabilityBoundingSet": "",  # no capability at all
    "StateDirectory": "koalicja",  # the only place either may write: INSTANCE_PATH
}


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize(("key", "value"), REQUIRED.items())
def test_each_unit_runs_as_the_service_user_restarted_and_hardened(unit, key, value):
    service = read_unit(unit)["Service"]
    assert service.get(key) == value


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_starts_with_the_system_and_waits_for_the_network(unit):
    parsed = read_unit(unit)
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in parsed["Unit"]["After"].split()
    assert "postgresql.service" in parsed["Unit"]["After"].split()


def test_the_environment_file_gives_the_units_their_instance_folder():
    """ProtectSystem=strict leaves only the StateDirectory writable: the settings must put
    the instance folder (SQLite, .eml files) there."""
    template = (DEPLOY / "registration.env.example").read_text(encoding="utf-8")
    state = read_unit("koalicja-web.service")["Service"]["StateDirectory"]
    assert f"\nINSTANCE_PATH=/var/lib/{state}\n" in template


def test_the_web_server_runs_gunicorn_with_the_deploy_settings():
    command = exec_start("koalicja-web.service")
    assert command == [
        f"{SERVER_CHECKOUT}/.venv/bin/gunicorn",
        "--config",
        f"{SERVER_CHECKOUT}/deploy/gunicorn.conf.py",
        "wsgi:app",
    ]
    service = read_unit("koalicja-web.service")["Service"]
    # gunicorn tells systemd when it is ready; systemd stops the master, which stops the
    # workers gracefully, and waits longer than gunicorn's graceful_timeout for it.
    assert service["Type"] == "notify"
    assert service["KillMode"] == "mixed"
    assert int(service["TimeoutStopSec"]) > 20


def test_the_mail_worker_runs_the_outbox_loop():
    assert exec_start("koalicja-mail.service") == [
        f"{SERVER_CHECKOUT}/.venv/bin/flask",
        "--app",
        "wsgi",
        "mail",
        "send-queued",
        "--loop",
    ]


@pytest.mark.processes
def test_the_web_servers_command_loads_its_settings_and_the_application(tmp_path):
    """gunicorn --check-config reads deploy/gunicorn.conf.py and imports wsgi:app."""
    command = [part.replace(SERVER_CHECKOUT, str(PROJECT)) for part in exec_start_here("web")]
    result = run_as_the_service([*command, "--check-config"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.processes
def test_the_mail_workers_command_exists_with_its_loop(tmp_path):
    result = run_as_the_service([*exec_start_here("mail"), "--help"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--loop" in result.stdout


def exec_start_here(part: str) -> list[str]:
    """The unit's command with this checkout's virtual environment in place of the server's."""
    here = str(Path(sys.executable).parent)
    command = exec_start(f"koalicja-{part}.service")
    return [word.replace(f"{SERVER_CHECKOUT}/.venv/bin", here) for word in command]


def run_as_the_service(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """In the checkout, with just enough settings for the application to load: a
    throw-away instance folder and its SQLite database."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "REGISTRATION_ENV": "testing",
        "INSTANCE_PATH": str(tmp_path / "instance"),
    }
    return subprocess.run(
        command,
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.processes
def test_systemd_finds_nothing_wrong_in_the_units(tmp_path):
    """``systemd-analyze verify`` knows every key and value systemd does (a misspelt
    option is only a warning to systemd, so any output fails). It also checks that
    each command exists: the units are verified with this checkout in place of
    /srv/koalicja."""
    result = systemd_analyze("verify", tmp_path)
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""


@pytest.mark.processes
def test_systemd_rates_the_units_exposure_as_ok(tmp_path):
    """systemd's own reckoning of what the hardening leaves open, from 0 (nothing) to 10:
    at most 2.0, the top of its "OK" band (both units are at 1.4)."""
    result = systemd_analyze("security", tmp_path, "--offline=yes", "--threshold=20")
    assert result.returncode == 0, result.stdout


def systemd_analyze(verb: str, folder: Path, *options: str) -> subprocess.CompletedProcess:
    """``systemd-analyze VERB`` on copies of the units in ``folder`` that name this checkout."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: `make test` installs Debian's systemd package"
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        text = text.replace(f"{SERVER_CHECKOUT}/.venv/bin", str(Path(sys.executable).parent))
        (folder / unit).write_text(text.replace(SERVER_CHECKOUT, str(PROJECT)))
    return subprocess.run(
        [analyze, verb, "--no-pager", *options, *UNITS],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
