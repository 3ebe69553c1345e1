"""Reading the files of ``deploy/`` as the tests need them."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"
#: Where the units, the nginx site and the docs expect the checkout on a server.
SERVER_CHECKOUT = "/srv/koalicja"
UNITS = ("koalicja-web.service", "koalicja-mail.service")


def read_unit(name: str) -> configparser.ConfigParser:
    """A systemd unit as sections of keys; a key given more than once keeps every value,
    one per line, as systemd adds them up."""
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, dict_type=_MultiDict, empty_lines_in_values=False
    )
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    return parser


def exec_start(name: str) -> list[str]:
    return shlex.split(read_unit(name)["Service"]["ExecStart"])


class _MultiDict(dict):
    """configparser's section mapping that joins repeated keys instead of keeping the last."""

    def __setitem__(self, key, value):
        if key in self and isinstance(value, list) and isinstance(self[key], list):
            self[key].extend(value)
        else:
            super().__setitem__(key, value)
