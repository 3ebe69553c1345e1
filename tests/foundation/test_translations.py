"""Every user-facing string has its Polish translation, and the catalogue is the one in use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

PROJECT = Path(__file__).resolve().parents[2]
CATALOGUE = PROJECT / "registration/translations/pl/LC_MESSAGES/messages.po"


def test_every_message_in_the_code_is_in_the_polish_catalogue(tmp_path):
    """A string added to a template without running `make update-translations` shows in English."""
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(template),
            ".",
        ],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as file:
        extracted = {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(file)
            if message.id
        }
    with CATALOGUE.open("rb") as file:
        catalogue = {
            message.id if isinstance(message.id, str) else message.id[0]: message
            for message in read_po(file)
            if message.id
        }
    assert sorted(extracted - catalogue.keys()) == []
    untranslated = [
        key
        for key in extracted
        if not all(
            catalogue[key].string
            if isinstance(catalogue[key].string, tuple)
            else [catalogue[key].string]
        )
        or catalogue[key].fuzzy
    ]
    assert untranslated == []
