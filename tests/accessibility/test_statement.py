"""The deklaracja dostępności at /accessibility (docs/accessibility.md).

It has the sections of the Minister of Digital Affairs' template (technical conditions,
version 2.0 of 2024) in the template's order, with the machine-readable ``a11y-*`` ids on
what they mark, in Polish and in English; what changes comes from ``ORGANISATION_FILE``'s
``[accessibility]`` table, which is checked when the app starts.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import registration
from registration import accessibility
from registration.config import ConfigurationError

#: The template's ids, in the order its sections come; each marks text that says something.
TEMPLATE_IDS = [
    "a11y-wstep",
    "a11y-podmiot",
    "a11y-zakres",
    "a11y-url",
    "a11y-data-publikacja",
    "a11y-data-aktualizacja",
    "a11y-status",
    "a11y-data-sporzadzenie",
    "a11y-kontakt",
    "a11y-osoba",
    "a11y-email",
    "a11y-telefon",
    "a11y-procedura",
    "a11y-aplikacje",
    "a11y-architektura",
    "a11y-komunikacja",
]
#: The template's headings, in order (the non-accessible content's only when there is some).
HEADINGS = {
    "pl": [
        ("h1", "Deklaracja dostępności"),
        ("h2", "Stan dostępności cyfrowej"),
        ("h2", "Niedostępne treści"),
        ("h2", "Przygotowanie deklaracji dostępności i jej aktualizacja"),
        ("h2", "Udogodnienia, ograniczenia i inne informacje"),
        ("h2", "Skróty klawiszowe"),
        ("h2", "Informacje zwrotne i dane kontaktowe"),
        ("h2", "Obsługa wniosków i skarg związanych z dostępnością"),
        ("h2", "Pozostałe informacje"),
        ("h3", "Aplikacje mobilne"),
        ("h3", "Dostępność architektoniczna"),
        ("h3", "Dostępność komunikacyjno-informacyjna"),
    ],
    "en": [
        ("h1", "Accessibility statement"),
        ("h2", "Digital accessibility status"),
        ("h2", "Non-accessible content"),
        ("h2", "Preparation of this accessibility statement and its updates"),
        ("h2", "Facilities, limitations and other information"),
        ("h2", "Keyboard shortcuts"),
        ("h2", "Feedback and contact information"),
        ("h2", "Handling of requests and complaints about accessibility"),
        ("h2", "Other information"),
        ("h3", "Mobile applications"),
        ("h3", "Architectural accessibility"),
        ("h3", "Communication and information accessibility"),
    ],
}
STATUS_WORDS = {
    "pl": {"full": "jest zgodna", "partial": "jest częściowo zgodna", "none": "jest niezgodna"},
    "en": {
        "full": "is fully compliant",
        "partial": "is partially compliant",
        "none": "is not compliant",
    },
}

#: An operator's table that uses every key.
OPERATOR = {
    "entity": "Urząd Miasta Lublin",
    "published": date(2025, 3, 1),
    "updated": date(2026, 11, 20),
    "prepared": date(2025, 3, 10),
    "reviewed": date(2026, 3, 30),
    "status": "partial",
    "assessment": "external",
    "auditor": "Fundacja Dostępna Przestrzeń",
    "contact": {
        "name": "Anna Nowak",
        "email": "dostepnosc@lublin.example",
        "phone": "81 466 10 00",
    },
    "complaints_to": {"pl": "Prezydent Miasta Lublin", "en": "The Mayor of Lublin"},
    "office_address": "pl. Króla Władysława Łokietka 1, 20-109 Lublin",
    "architecture": {"pl": "Wejście bez progów, winda.", "en": "Step-free entrance, a lift."},
    "communication": {"pl": "Tłumacz PJM online jest dostępny.", "en": "A PJM interpreter online."},
    "non_compliant": [
        {
            "content": {"pl": "Mapa dojazdu nie ma opisu.", "en": "The route map has no text."},
            "alternative": {"pl": "Opis trasy wyślemy e-mailem.", "en": "We email a route."},
        }
    ],
    "exempt": [
        {
            "content": {"pl": "Nagrania z 2019 r.", "en": "Recordings from 2019."},
            "basis": {"pl": "art. 3 ust. 2 pkt 1", "en": "art. 3(2)(1)"},
        }
    ],
    "disproportionate": [
        {"content": {"pl": "Archiwum skanów.", "en": "The archive of scans."}},
    ],
    "burden_assessment_url": "https://lublin.example/ocena-kosztow",
    "mobile_apps": [{"name": "Lublin", "statement_url": "https://lublin.example/app/deklaracja"}],
}


def _statement_page(client, language: str) -> BeautifulSoup:
    response = client.get(f"/accessibility?lang={language}")
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser").find("main")


def _ids_in_order(page: BeautifulSoup) -> list[str]:
    return [element["id"] for element in page.find_all(id=lambda id: id and id.startswith("a11y-"))]


def _text(page: BeautifulSoup, id: str) -> str:
    return " ".join(page.find(id=id).get_text(" ").split())


@pytest.mark.parametrize("language", ["pl", "en"])
def test_statement_has_the_templates_sections_in_order_with_content(client, language):
    page = _statement_page(client, language)

    ids = _ids_in_order(page)
    assert [id for id in ids if id in TEMPLATE_IDS] == TEMPLATE_IDS
    assert len(ids) == len(set(ids)), "every id marks one element"
    for id in TEMPLATE_IDS:
        assert _text(page, id), f"{id} marks no text"
    headings = [(h.name, h.get_text(strip=True)) for h in page.find_all(["h1", "h2", "h3"])]
    expected = HEADINGS[language]
    assert [heading for heading in headings if heading in expected] == expected
    # The defaults: a self-assessment, partly compliant because of an exemption.
    assert STATUS_WORDS[language]["partial"] in _text(page, "a11y-status")
    assert "axe-core" in page.get_text()


@pytest.mark.parametrize("language", ["pl", "en"])
def test_what_changes_comes_from_the_operators_table(make_app, language):
    client = make_app(ORGANISATION={"accessibility": OPERATOR}).test_client()
    page = _statement_page(client, language)

    assert [id for id in _ids_in_order(page) if id in TEMPLATE_IDS] == TEMPLATE_IDS
    assert _text(page, "a11y-podmiot") == "Urząd Miasta Lublin"
    assert _text(page, "a11y-wstep").startswith("Urząd Miasta Lublin")
    assert page.find(id="a11y-url")["href"] == "https://koalicja.example.org/"
    for id, day in [
        ("a11y-data-publikacja", "2025-03-01"),
        ("a11y-data-aktualizacja", "2026-11-20"),
        ("a11y-data-sporzadzenie", "2025-03-10"),
        ("a11y-data-przeglad", "2026-03-30"),
    ]:
        element = page.find(id=id)
        assert (element.name, element["datetime"]) == ("time", day)
        assert "2025" in element.get_text() or "2026" in element.get_text()
    assert _text(page, "a11y-audytor") == "Fundacja Dostępna Przestrzeń"
    assert _text(page, "a11y-osoba") == "Anna Nowak"
    assert page.find(id="a11y-email")["href"] == "mailto:dostepnosc@lublin.example"
    assert page.find(id="a11y-telefon")["href"] == "tel:814661000"
    assert page.find(id="a11y-ocena")["href"] == "https://lublin.example/ocena-kosztow"
    procedure = page.find(id="a11y-procedura")
    assert procedure.find("a", href="https://bip.brpo.gov.pl/")
    assert ("Prezydent Miasta Lublin" if language == "pl" else "The Mayor of Lublin") in (
        procedure.get_text()
    )
    words = {
        "pl": ["Mapa dojazdu", "Opis trasy", "Nagrania z 2019", "Archiwum skanów", "winda"],
        "en": ["route map", "We email a route", "Recordings from 2019", "archive", "lift"],
    }
    text = page.get_text()
    assert all(word in text for word in words[language])
    assert page.find(id="a11y-aplikacje").find("a", href="https://lublin.example/app/deklaracja")
    assert "Lublin" in _text(page, "a11y-architektura")
    assert "PJM" in _text(page, "a11y-komunikacja")


@pytest.mark.parametrize("status", ["full", "none"])
@pytest.mark.parametrize("language", ["pl", "en"])
def test_status_is_said_in_the_templates_words(make_app, status, language):
    table = {"status": status}
    if status == "none":
        table["non_compliant"] = [{"content": {"pl": "Formularz", "en": "The form"}}]
    client = make_app(ORGANISATION={"accessibility": table}).test_client()
    page = _statement_page(client, language)

    assert STATUS_WORDS[language][status] in _text(page, "a11y-status")
    assert "2019" in _text(page, "a11y-status")
    headings = [h.get_text(strip=True) for h in page.find_all("h2")]
    assert (HEADINGS[language][2][1] in headings) == (status == "none")


def test_the_table_is_read_from_organisation_file(make_app, monkeypatch, tmp_path):
    organisation = tmp_path / "organisation.toml"
    organisation.write_text(
        "[accessibility]\n"
        "published = 2024-05-06\n"
        'status = "full"\n'
        '[accessibility.contact]\nname = "Jan Kowalski"\n'
        'email = "jan@example.org"\nphone = "+48 58 000 00 00"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ORGANISATION_FILE", str(organisation))
    page = _statement_page(make_app().test_client(), "pl")

    assert page.find(id="a11y-data-publikacja")["datetime"] == "2024-05-06"
    assert _text(page, "a11y-osoba") == "Jan Kowalski"
    assert STATUS_WORDS["pl"]["full"] in _text(page, "a11y-status")
    assert not page.find(id="a11y-data-przeglad")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"published": "2024-05-06"}, "[accessibility] published must be a TOML date"),
        ({"status": "mostly"}, '[accessibility] status must be one of "full", "partial", "none"'),
        ({"status": "partial"}, "list what is not accessible, and why"),
        (
            {"status": "full", "exempt": OPERATOR["exempt"]},
            'status is "full", yet non_compliant, exempt or disproportionate lists something',
        ),
        ({"assessment": "external"}, "[accessibility] auditor must be a text"),
        ({"auditor": "Someone"}, 'so assessment must be "external"'),
        ({"contact": {"name": "A", "email": "nobody", "phone": "1234567"}}, "contact.email"),
        ({"contact": {"name": "A", "email": "a@b.pl", "phone": "call me"}}, "contact.phone"),
        ({"architecture": "Winda"}, "architecture must be a table"),
        ({"architecture": {"pl": "Winda"}}, "architecture must give the text in both languages"),
        ({"published": date(2026, 1, 2), "updated": date(2026, 1, 1)}, "updated is before"),
        ({"prepared": date(2026, 1, 2), "reviewed": date(2026, 1, 1)}, "reviewed is before"),
        (
            {"status": "partial", "disproportionate": OPERATOR["disproportionate"]},
            "burden_assessment_url must be a text",
        ),
        ({"mobile_apps": [{"name": "App", "statement_url": "app.pl"}]}, "must be an http(s)"),
        ({"adress": "x"}, "[accessibility] adress is not a known key"),
        ({"mobile_apps": [{"name": "A", "url": "https://a.pl"}]}, "mobile_apps[0].url"),
        ({"published": date(2026, 1, 1)} | {"contact": "Anna"}, "contact must be a table"),
        (
            {"status": "partial", "exempt": "none"},
            "exempt must be a list of tables ([[accessibility.exempt]])",
        ),
        ({"status": "none", "non_compliant": [{"what": {}}]}, "non_compliant[0].what"),
    ],
)
def test_a_table_that_cannot_be_stated_stops_the_app(make_app, table, message):
    with pytest.raises(ConfigurationError) as raised:
        make_app(ORGANISATION={"accessibility": table})
    assert message in str(raised.value)
    assert str(raised.value).startswith("ORGANISATION_FILE: [accessibility]")


def test_defaults_make_a_complete_statement():
    statement = accessibility.parse({})
    assert statement.status == "partial"
    assert statement.exempt
    assert statement.assessment == "self"
    assert statement.auditor is None
    assert statement.published <= statement.updated


def test_the_example_organisation_file_states_everything():
    example = Path(registration.__file__).parent / "demo" / "organisation.toml"
    with example.open("rb") as file:
        table = tomllib.load(file)["accessibility"]

    statement = accessibility.parse(table)
    assert statement.contact.name == "Anna Kowalska"
    assert "\n\n" in statement.architecture.pl  # paragraphs, shown as paragraphs


def test_what_operators_write_is_shown_as_text(make_app):
    hostile = '<script>alert(1)</script><a href="https://evil.example">x</a>'
    table = {
        "entity": hostile,
        "contact": {"name": hostile, "email": "a@example.org", "phone": "+48 71 000 00 00"},
        "architecture": {"pl": hostile, "en": hostile},
    }
    html = make_app(ORGANISATION={"accessibility": table}).test_client().get("/accessibility").text

    assert "<script>" not in html
    assert '<a href="https://evil.example">' not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3
