"""Realistic demo data, so a newcomer sees a living service after ``make run``."""
