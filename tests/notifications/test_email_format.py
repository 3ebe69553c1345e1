"""How each email is built, so that common mail programs show it well (docs/emails.md,
"How the HTML is built"): only what Gmail, Outlook for Windows and Apple Mail support,
by caniemail.com's data; inline styles and tables; nothing loaded from elsewhere;
colours that survive dark mode; and a plain-text part that reads well on its own."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from registration.notifications.models import ACCOUNT_KINDS, MessageKind

CANIEMAIL_SCRIPT = Path(__file__).with_name("check_with_caniemail.mjs")
TESTS = Path(__file__).resolve().parents[1]
#: The clients every email must suit: caniemail.com's names for them.
CLIENTS = ["gmail.*", "outlook.windows", "apple-mail.*"]
#: The one <style> element: dark colours for the clients that support them, nothing else.
DARK_MODE = re.compile(
    r"<style>\s*@media \(prefers-color-scheme: dark\) \{(?:\s*[.\w, -]+\{[^{}]*\})+\s*\}\s*</style>"
)
URL = re.compile(r"https?://|webcal://|mailto:")
KINDS = list(MessageKind)


def caniemail(documents: list[str]) -> list[dict]:
    """What caniemail.com's data says each client does not support, per document."""
    node = shutil.which("node")
    if node is None or not (TESTS / "node_modules" / "@jsx-email" / "doiuse-email").exists():
        pytest.fail("Node.js and the test npm packages are needed: npm ci --prefix tests")
    answer = subprocess.run(
        [node, str(CANIEMAIL_SCRIPT), *CLIENTS],
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(answer.stdout)


@pytest.fixture(scope="module")
def support(emails) -> dict[MessageKind, dict]:
    """caniemail.com's verdict on each email without its dark-mode refinement."""
    documents = [DARK_MODE.sub("", emails[kind].html) for kind in KINDS]
    return dict(zip(KINDS, caniemail(documents), strict=True))


@pytest.mark.parametrize("kind", KINDS)
def test_gmail_outlook_and_apple_mail_support_everything_the_html_uses(support, kind):
    assert support[kind]["errors"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_the_only_style_element_is_a_dark_mode_refinement(emails, kind):
    """Everything the email needs is inline: a client that drops <style> loses nothing."""
    html = emails[kind].html
    assert len(DARK_MODE.findall(html)) == 1
    assert "<style" not in DARK_MODE.sub("", html)


@pytest.mark.parametrize("kind", KINDS)
def test_the_document_says_its_language_and_direction_and_hides_a_preheader(emails, kind):
    page = emails[kind].page
    assert page.html["lang"] == emails.language
    assert page.html["dir"] == "ltr"
    assert page.title.get_text() == emails[kind].message["Subject"]
    preheader = page.body.find("div")
    assert "font-size:0" in preheader["style"]
    assert preheader.get_text(strip=True)


@pytest.mark.parametrize("kind", KINDS)
def test_layout_is_tables_for_presentation_at_most_600_pixels_wide(emails, kind):
    page = emails[kind].page
    tables = page.find_all("table")
    assert tables
    assert all(table.get("role") == "presentation" for table in tables)
    assert "max-width:600px" in tables[1]["style"]  # inside the full-width background


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_is_loaded_from_elsewhere(emails, kind):
    """Mail programs block remote images and fonts, and they would tell a sender who read it."""
    page = emails[kind].page
    assert not page.find_all(["script", "link", "iframe", "object", "embed", "form"])
    assert all(img["src"].startswith("cid:") for img in page.find_all("img"))
    html = emails[kind].html
    assert "url(" not in html
    assert "@import" not in html
    assert "@font-face" not in html


@pytest.mark.parametrize("kind", KINDS)
def test_light_text_always_sits_on_its_own_explicit_background(emails, kind):
    """A client's dark mode may drop a transparent background; white text would vanish."""
    page = emails[kind].page
    light = page.find_all(style=re.compile(r"(?<![-\w])color:#ffffff"))
    assert light  # the button's label
    for element in light:
        cell = element if element.name == "td" else element.find_parent("td")
        assert cell.get("bgcolor") not in (None, "", "transparent")
        assert f"background-color:{cell['bgcolor']}" in cell["style"]
    assert "background-color" in page.body["style"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_link_and_image_says_what_it_is(emails, kind):
    page = emails[kind].page
    assert all(link.get_text(strip=True) for link in page.find_all("a"))
    assert all(img.get("alt") for img in page.find_all("img"))
    assert len(page.find_all("h1")) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_text_part_reads_well_alone(emails, kind):
    text = emails[kind].text
    assert not re.search(r"</?[a-zA-Z][^>]*>", text)  # no HTML left over
    assert not re.search(r"&(?:[a-z]+|#\d+);", text)  # no entities
    assert "\n\n\n" not in text
    for line in text.split("\n"):
        if URL.search(line):
            assert URL.match(line), f"a link shares its line: {line!r}"
            assert " " not in line
        elif line.startswith("  "):  # a fact of the event, or what changed: never split
            assert len(line) <= 120
        else:
            assert len(line) <= 72, f"too long: {line!r}"
    assert "\n-- \n" in text  # the footer is a signature, which mail programs set apart


@pytest.mark.parametrize("kind", KINDS)
def test_every_line_fits_smtp(emails, kind):
    """SMTP carries lines of at most 998 octets; a longer one is encoded, not refused."""
    raw = emails[kind].message.as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998


#: Kinds without the event's details: about the person's calendar, or all their data.
WITHOUT_EVENT_DETAILS = {MessageKind.FEED_REPLACED, MessageKind.DATA_LINK, *ACCOUNT_KINDS}


@pytest.mark.parametrize("kind", sorted(set(KINDS) - WITHOUT_EVENT_DETAILS))
def test_what_organisers_typed_is_marked_polish_in_an_english_email(emails, kind):
    """Screen readers then read the title and the venue with Polish pronunciation."""
    email = emails[kind]
    title = email.page.find("a", href=email.event_url, class_="link")
    marked = title.find("span", lang="pl")
    if emails.language == "pl":
        assert marked is None  # the whole email is Polish already
        assert not email.page.body.find_all(lang="pl")
    else:
        assert marked.get_text() == title.get_text()
        venue = title.find_parent("tr").find_next_sibling("tr").find_next_sibling("tr")
        assert venue.find("span", lang="pl")
