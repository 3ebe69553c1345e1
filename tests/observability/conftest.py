"""Helpers for the observability tests: reading a scrape, and the service's log lines."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families


def samples(exposition: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def sample(exposition: str, name: str, **labels: str) -> float:
    """One sample's value; 0 when the scrape does not have it (a counter not yet counted)."""
    return samples(exposition).get((name, frozenset(labels.items())), 0.0)


def json_lines(text: str) -> list[dict]:
    """The JSON log lines in ``text``; every line that looks like one must parse."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
