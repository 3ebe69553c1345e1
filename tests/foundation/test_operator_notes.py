"""The README tells an operator what the service cannot do for itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def security_notes() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^#+ Security notes$(.*?)(?=^#)", text, flags=re.MULTILINE | re.DOTALL)
    assert found, "README has no Security notes section"
    return " ".join(found.group(1).split())


@pytest.mark.parametrize(
    "duty",
    [
        "TLS",
        "client_max_body_size",  # a request-body limit at the proxy
        "TRUSTED_PROXY_HOPS",
        "RATELIMIT_STORAGE_URI=redis://",
        "SECRET_KEY",
        "users deactivate EMAIL",
        "users revoke-tokens EMAIL",
    ],
)
def test_the_security_notes_name_each_duty_of_the_operator(duty):
    assert duty in security_notes()
