"""Text typed by people can never add or break a property of a calendar.

Organisers type titles, venues, addresses and descriptions; whatever they type
must come out of both parsers exactly as typed (line breaks as line breaks),
and nothing in it may become a property, a parameter or a new event.
"""

from __future__ import annotations

from registration.ical import feeds
from tests.factories import make_event
from tests.ical.reading import read_one

HOST = "koalicja.example.org"

# Each: (what the organiser typed, what a calendar shows).
HOSTILE_TITLES = [
    (
        "Seminarium\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil@example.org\r\nSUMMARY:Podróbka",
        "Seminarium\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil@example.org\nSUMMARY:Podróbka",
    ),
    ("Wstęp;STATUS:CANCELLED", "Wstęp;STATUS:CANCELLED"),
    ('Kultura, miasto; ludzie: \\ i "cudzysłów"', 'Kultura, miasto; ludzie: \\ i "cudzysłów"'),
    (
        "Ścieżka C:\\Nowe\\nagrania i \\N, \\n, \\, \\;",
        "Ścieżka C:\\Nowe\\nagrania i \\N, \\n, \\, \\;",
    ),
    ("Tylko CR\rtylko LF\nkoniec", "Tylko CR\ntylko LF\nkoniec"),
    (
        "Sterujące:\x07\x1b[31m\x7f i \x0bpionowy\u2028separator",
        "Sterujące:[31m i \npionowy\nseparator",
    ),
    ("🎭 Teatr 👩‍👩‍👧 rodzina 🇵🇱 e\u0301 ✔️", "🎭 Teatr 👩‍👩‍👧 rodzina 🇵🇱 e\u0301 ✔️"),
    (
        "Zażółć gęślą jaźń — długi tytuł seminarium problemowego o współpracy instytucji "
        "kultury z organizacjami pozarządowymi, z ekspertami z Gdańska, Łodzi i Szczecina",
        "Zażółć gęślą jaźń — długi tytuł seminarium problemowego o współpracy instytucji "
        "kultury z organizacjami pozarządowymi, z ekspertami z Gdańska, Łodzi i Szczecina",
    ),
] + [
    # Multi-byte characters reaching the 75-octet fold at every alignment.
    ("x" * shift + "ż" * 40 + "🎭" * 20, "x" * shift + "ż" * 40 + "🎭" * 20)
    for shift in range(4)
]

LONG_DESCRIPTION = "\n\n".join(
    f"Akapit {number}: Łódź, Kraków; Gdańsk\\Szczecin — 🎭🎨🎼 " + " ".join(["źdźbło"] * 30)
    for number in range(40)
)


def test_hostile_titles_come_out_exactly_as_typed(client, data):
    assert all(len(typed) <= 200 for typed, _shown in HOSTILE_TITLES)  # the column's size
    with data():
        ids = {make_event(title=typed).id: shown for typed, shown in HOSTILE_TITLES}

    response = client.get("/calendar.ics")

    feed = read_one(response.data)  # both parsers, the wire format, no extra properties
    assert set(feed.events) == {f"event-{event_id}@{HOST}" for event_id in ids}
    for event_id, shown in ids.items():
        seen = feed.events[f"event-{event_id}@{HOST}"]
        assert seen.summary == shown
        assert seen.status == "CONFIRMED"
        assert seen.url == f"https://{HOST}/events/{event_id}"
    lines = response.data.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == lines.count(b"END:VEVENT") == len(ids)
    assert [line for line in lines if line.startswith(b"UID:")] == [
        f"UID:event-{event_id}@{HOST}".encode() for event_id in ids
    ]


def test_places_and_long_descriptions_come_out_exactly_as_typed(client, data):
    """Venues and addresses full of separators, and a long description, folded safely."""
    with data():
        event_id = make_event(
            venue='Sala "Pod Zegarem"; piętro 2, wejście B\\C',
            address="ul. Piotrkowska 1;2,3\r\nDTSTART:19700101T000000Z",
            city_slug="lodz",
            summary="",
            description=LONG_DESCRIPTION,
        ).id

    for path in ("/calendar.ics", f"/events/{event_id}/calendar.ics"):
        feed = read_one(client.get(path).data)
        seen = feed.only
        assert seen.location == (
            'Sala "Pod Zegarem"; piętro 2, wejście B\\C, '
            "ul. Piotrkowska 1;2,3\nDTSTART:19700101T000000Z, Łódź"
        )
        assert seen.description == f"{LONG_DESCRIPTION}\n\nhttps://{HOST}/events/{event_id}"
        assert not seen.start.startswith("1970")


def test_one_line_text_for_parameters_keeps_no_line_break():
    """Names go into parameters (an attendee's CN), where a line break would end the line."""
    assert feeds.one_line("Anna\r\nATTENDEE:mailto:x@example.org\x1b\u2028 Nowak") == (
        "Anna ATTENDEE:mailto:x@example.org Nowak"
    )
    assert feeds.one_line(None) == ""
