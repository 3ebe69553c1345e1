"""Calendars: the public, one-event and personal iCalendar feeds (SPEC section 6)."""
