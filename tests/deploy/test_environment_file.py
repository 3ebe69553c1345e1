"""deploy/registration.env.example names every setting, reads the same to systemd and to
a shell, and is accepted by the service once its secrets are filled in."""

from __future__ import annotations

import re

import pytest

from registration import config
from tests.deploy.units import DEPLOY, PROJECT

TEMPLATE = DEPLOY / "registration.env.example"
#: A line that sets a variable, or one commented out that shows its default.
SETTING = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")


def documented_variables() -> set[str]:
    """The variables of docs/configuration.md's summary table."""
    text = (PROJECT / "docs" / "configuration.md").read_text(encoding="utf-8")
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split("|")[1] for row in summary.splitlines() if row.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


def template_lines() -> list[str]:
    return TEMPLATE.read_text(encoding="utf-8").splitlines()


def named_variables() -> dict[str, str]:
    return {m[1]: m[2] for line in template_lines() if (m := SETTING.match(line))}


def set_variables() -> dict[str, str]:
    named = (SETTING.match(line) for line in template_lines() if not line.startswith("#"))
    return {m[1]: m[2] for m in named if m}


def test_every_documented_setting_is_in_the_template():
    documented = documented_variables()
    assert len(documented) > 20  # the table was found
    assert documented - named_variables().keys() == set()


@pytest.mark.parametrize("line", [line for line in template_lines() if SETTING.match(line)])
def test_each_value_reads_the_same_to_systemd_and_to_a_shell(line):
    """systemd takes a comment after a value as part of it, and a shell splits unquoted
    spaces: a value is either one word or in double quotes."""
    value = SETTING.match(line)[2]
    assert "#" not in value
    assert " " not in value or (value.startswith('"') and value.endswith('"'))


def test_production_accepts_the_template_with_its_secret_filled_in(monkeypatch, tmp_path):
    values = {name: value.strip('"') for name, value in set_variables().items()}
    assert values["REGISTRATION_ENV"] == "production"
    assert values["SECRET_KEY"] == ""  # never a usable key in the repository
    assert values["TRUSTED_PROXY_HOPS"] == "1"
    values["SECRET_KEY"] = "x" * 48
    values.pop("ORGANISATION_FILE")  # the operators' own file, on the server
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    loaded = config.load(tmp_path)
    assert loaded["TRUSTED_PROXY_HOPS"] == 1
    assert loaded["MAIL_DEFAULT_SENDER"] == "Koalicja Miast <rejestracja@example.pl>"
    assert loaded["BASE_URL"] == "https://rejestracja.example.pl"


def test_production_refuses_the_template_as_it_stands(monkeypatch, tmp_path):
    for name, value in set_variables().items():
        monkeypatch.setenv(name, value.strip('"'))
    with pytest.raises(config.ConfigurationError, match="SECRET_KEY is not set"):
        config.load(tmp_path)
