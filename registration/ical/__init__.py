"""Calendars: the public, one-event and personal iCalendar feeds (docs/calendars.md)."""
