"""The event form's labels cannot be confused, and its description has room to write."""

from __future__ import annotations

from bs4 import BeautifulSoup


def test_the_venue_and_the_seats_are_named_apart_in_polish(client, signed_in):
    signed_in()
    page = BeautifulSoup(client.get("/organiser/events/new").text, "html.parser")
    assert page.find("label", attrs={"for": "venue"}).get_text(strip=True) == "Nazwa obiektu"
    assert page.find("label", attrs={"for": "capacity"}).get_text(strip=True) == "Liczba miejsc"


def test_the_description_box_shows_several_paragraphs(client, signed_in):
    signed_in()
    page = BeautifulSoup(client.get("/organiser/events/new").text, "html.parser")
    assert int(page.find("textarea", id="description")["rows"]) >= 15
