"""Organisers' texts (descriptions, practical information): a safe subset of Markdown.

The promise: what organisers type may shape the text, never the page. Whatever
the input, the HTML holds only paragraphs, line breaks, lists, links to http,
https and mailto addresses, bold and emphasis, and comes back quickly.
"""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registration.extensions import db
from registration.markdown import plain_text, render
from tests.factories import make_event

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "a", "strong", "em"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel"}, "ol": {"start"}}


class _Elements(HTMLParser):
    """Every element and attribute in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_only_the_subset(html: str) -> None:
    for tag, attributes in elements(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, attributes)
        if tag == "a":
            assert attributes["href"].startswith(("http://", "https://", "mailto:")), attributes
            assert attributes["rel"] == "noopener noreferrer"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "Akapit **pierwszy**.\n\nDrugi *akapit*.",
            "<p>Akapit <strong>pierwszy</strong>.</p>\n<p>Drugi <em>akapit</em>.</p>\n",
        ),
        (
            "W programie:\n\n- spacer,\n- warsztat.",
            "<ul>\n<li>spacer,</li>\n<li>warsztat.</li>\n</ul>",
        ),
        ("1. Przyjazd\n2. Spacer", "<ol>\n<li>Przyjazd</li>\n<li>Spacer</li>\n</ol>"),
        (
            "[Program](https://example.org/program)",
            '<a href="https://example.org/program" rel="noopener noreferrer">Program</a>',
        ),
        (
            "Rezerwacja: https://hotel.example.org/koalicja",
            '<a href="https://hotel.example.org/koalicja" rel="noopener noreferrer">'
            "https://hotel.example.org/koalicja</a>",
        ),
        (
            "Pytania: koalicja@example.org",
            '<a href="mailto:koalicja@example.org" rel="noopener noreferrer">'
            "koalicja@example.org</a>",
        ),
    ],
)
def test_paragraphs_lists_links_and_bold_are_shaped(text, html):
    assert html in render(text)


def test_plain_text_written_before_markdown_reads_as_it_did():
    """Descriptions typed as plain text keep their paragraphs and their line breaks."""
    text = "Dwa dni w Łodzi.\nNocleg zapewnia organizator.\n\nDojazd we własnym zakresie."
    assert render(text) == (
        "<p>Dwa dni w Łodzi.<br>\nNocleg zapewnia organizator.</p>\n"
        "<p>Dojazd we własnym zakresie.</p>\n"
    )


def test_nothing_to_render_is_nothing():
    assert render("") == ""
    assert render(None) == ""
    assert render(" \n\n ") == ""


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="https://example.org" onclick="alert(1)">kliknij</a>',
        "<iframe src=https://example.org></iframe>",
        "<style>body{display:none}</style>",
        "[kliknij](javascript:alert(1))",
        "[kliknij](JaVaScRiPt:alert(1))",
        "[kliknij](  javascript:alert(1))",
        "[kliknij](&#106;avascript:alert(1))",
        "[kliknij](java\tscript:alert(1))",
        "[kliknij](vbscript:msgbox(1))",
        "[kliknij](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[kliknij](file:///etc/passwd)",
        "[kliknij](/organiser/events)",
        "[kliknij](//evil.example.org)",
        "<javascript:alert(1)>",
        '[kliknij](https://example.org "tytuł" onmouseover="alert(1)")',
        "![obraz](https://example.org/tracker.png)",
        "# Nagłówek\n\n> cytat\n\n```\nkod\n```\n\n    wcięty kod\n\n| a | b |\n|---|---|",
        "<!-- komentarz --><![CDATA[x]]>",
        "Tekst&nbsp;z&#x3C;script&#x3E;encjami",
    ],
)
def test_hostile_input_never_becomes_markup(text):
    html = render(text)
    assert_only_the_subset(html)
    assert "<script" not in html
    assert "<img" not in html


def test_a_link_to_a_scheme_not_allowed_stays_text():
    html = render("[kliknij](javascript:alert(1))")
    assert elements(html) == [("p", {})]
    assert "[kliknij](javascript:alert(1))" in html


@given(
    st.text(alphabet=st.sampled_from(list("<>[]()!*_-#`&;:/\\\"' \n1.ahjvsrcipt=@")), max_size=300)
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_renders_to_the_subset_only(text):
    assert_only_the_subset(render(text))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 20_000,
        "*" * 20_000,
        "_a" * 10_000,
        "- " * 10_000,
        "1. " * 6_000,
        "[a](" * 5_000,
        "<" * 20_000,
        "`" * 20_000,
        "**a " * 5_000,
        "http://" + "a." * 6_000,
        ("- x\n  " * 2_000),
    ],
)
def test_huge_and_pathological_input_renders_quickly(text):
    """The longest description allowed, made of what parsers find hardest: rendered in
    linear time, not the minutes a backtracking pattern would take. Measured in this
    process's CPU time, so that other work on a busy machine does not count."""
    started = time.process_time()
    html = render(text)
    assert time.process_time() - started < 2
    assert_only_the_subset(html)


def test_the_event_page_shows_the_description_and_practical_information_shaped(client, app):
    with app.app_context():
        event_id = make_event(
            description="Spacer po **Nowym Centrum**.\n\n- EC1\n- Księży Młyn",
            practical_information="**Nocleg** zapewnia organizator: https://hotel.example.org",
        ).id
        db.session.commit()
    html = client.get(f"/events/{event_id}").text
    assert "<p>Spacer po <strong>Nowym Centrum</strong>.</p>" in html
    assert "<li>Księży Młyn</li>" in html
    assert '<h2 id="practical-heading">Informacje praktyczne</h2>' in html
    assert (
        '<a href="https://hotel.example.org" rel="noopener noreferrer">https://hotel.example.org</a>'
    ) in html


def test_the_event_page_shows_raw_html_from_an_organiser_as_text(client, app):
    with app.app_context():
        event_id = make_event(
            description='<script>alert("opis")</script>',
            practical_information='<img src=x onerror="alert(1)">',
        ).id
        db.session.commit()
    html = client.get(f"/events/{event_id}").text
    assert '<script>alert("opis")' not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_sections_without_text_are_left_out(client, app):
    with app.app_context():
        event_id = make_event(description="", practical_information="").id
        db.session.commit()
    html = client.get(f"/events/{event_id}").text
    assert "description-heading" not in html
    assert "practical-heading" not in html


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Zwykły tekst.\nDruga linia.", "Zwykły tekst.\nDruga linia."),
        ("**Pogrubione** i *pochylone*", "Pogrubione i pochylone"),
        ("[Strona EC1](https://ec1lodz.pl)", "Strona EC1 (https://ec1lodz.pl)"),
        ("https://ec1lodz.pl", "https://ec1lodz.pl"),
        ("[biuro@example.org](mailto:biuro@example.org)", "biuro@example.org"),
        ("[zły](javascript:alert(1))", "[zły](javascript:alert(1))"),
        ("- jeden\n- dwa\n\n1. raz\n2. dwa", "• jeden\n• dwa\n\n1. raz\n2. dwa"),
        ("3. trzy\n4. cztery", "3. trzy\n4. cztery"),
        ("- wyżej\n  - niżej", "• wyżej\n  • niżej"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("", ""),
    ],
)
def test_plain_text_drops_the_markup_and_keeps_the_words_and_addresses(typed, plain):
    """For calendars, which show a description as typed."""
    assert plain_text(typed) == plain
