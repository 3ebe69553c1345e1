"""Participation reports for the coordinator and the cities (docs/reports.md): numbers
counted in the database, charts drawn from them, and the same numbers as downloads."""
