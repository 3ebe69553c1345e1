"""The coalition's seat rules, as arithmetic: who may take a seat while city allocations
hold, and how to tell institutions and home cities apart (docs/coalition.md).

Nothing here reads or writes the database: ``services`` counts under the event's lock
and asks these questions, so the whole rule of "register a person" stays in its one
seat operation.

While allocations hold, an event's capacity is split in two: each coalition city's
allocation, and the common pool (the rest). A registrant of a city takes a seat from
their city's allocation while it has one free, else from the common pool; anyone else
takes one from the common pool only. A city whose registrants outnumber its allocation
fills its allocation first and the common pool with the rest, so a seat given back
by one of them returns to the common pool while the allocation stays full.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: The home city of someone who works for a city outside the coalition.
OTHER_CITY = "other"


def institution_key(institution: str) -> str:
    """An institution's name folded for comparison: "Muzeum Narodowe w Gdańsku",
    " muzeum  narodowe w gdańsku." and "MUZEUM NARODOWE W GDAŃSKU" are one institution.

    Case, punctuation, quotes and spacing are not part of a name; diacritics are
    ("Łódź" and "Lodz" stay apart only when written so, which people rarely do twice).
    """
    composed = unicodedata.normalize("NFKC", institution).casefold()
    kept = "".join(char if char.isalnum() else " " for char in composed)
    return " ".join(kept.split())[:200]


@dataclass
class SeatPlan:
    """An event's seats under city allocations: what is free, for whom.

    :param capacity: the event's seats
    :param allocations: seats kept per coalition city (city id → seats)
    :param confirmed: confirmed registrations per home city (city id, or ``None`` for
        another city)
    """

    capacity: int
    allocations: Mapping[int, int]
    confirmed: dict[int | None, int] = field(default_factory=dict)

    @property
    def common_pool(self) -> int:
        return max(self.capacity - sum(self.allocations.values()), 0)

    @property
    def total_confirmed(self) -> int:
        return sum(self.confirmed.values())

    def allocation_left(self, city_id: int) -> int:
        """Free seats of the city's allocation."""
        return max(self.allocations.get(city_id, 0) - self.confirmed.get(city_id, 0), 0)

    @property
    def common_left(self) -> int:
        """Free seats of the common pool: what the cities' overflow has not taken."""
        in_allocations = sum(
            min(self.confirmed.get(city_id, 0), seats)
            for city_id, seats in self.allocations.items()
        )
        in_common = self.total_confirmed - in_allocations
        return max(min(self.common_pool - in_common, self.capacity - self.total_confirmed), 0)

    def seat_free_for(self, home_city_id: int | None) -> bool:
        """Whether a registrant of that home city may take a seat now."""
        if self.total_confirmed >= self.capacity:
            return False
        if home_city_id is not None and self.allocation_left(home_city_id) > 0:
            return True
        return self.common_left > 0

    def any_seat_free(self) -> bool:
        """Whether somebody, from some city, could still take a seat."""
        if self.total_confirmed >= self.capacity:
            return False
        return self.common_left > 0 or any(
            self.allocation_left(city_id) for city_id in self.allocations
        )

    def take(self, home_city_id: int | None) -> None:
        """Count one more confirmed registrant of that home city."""
        self.confirmed[home_city_id] = self.confirmed.get(home_city_id, 0) + 1

    def choose(self, waiting: Iterable[tuple[int, int | None]]) -> list[int]:
        """Of the people waiting (registration id and home city, in order of arrival), the
        ones who get a seat now: each in turn, if a seat is free for their city."""
        chosen = []
        for registration_id, home_city_id in waiting:
            if not self.any_seat_free():
                break
            if self.seat_free_for(home_city_id):
                self.take(home_city_id)
                chosen.append(registration_id)
        return chosen
