"""Names of the domain's codes in the visitor's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

EVENT_TYPES = {
    "study_visit": _l("Study visit"),
    "seminar": _l("Problem seminar"),
    "expert_meeting": _l("Expert meeting"),
}

EVENT_TYPES_PLURAL = {
    "study_visit": _l("Study visits"),
    "seminar": _l("Problem seminars"),
    "expert_meeting": _l("Expert meetings"),
}

CATEGORIES = {
    "culture_staff": _l("Culture institution staff"),
    "official": _l("Local government official"),
    "ngo": _l("NGO"),
    "other": _l("Other"),
}

REGISTRATION_STATUSES = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waitlist"),
    "cancelled": _l("Cancelled"),
}

#: The languages an event may be held in (``Event.language``).
LANGUAGES = {
    "pl": _l("Polish"),
    "en": _l("English"),
}

EVENT_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}

#: The roles of back-office accounts (``accounts.models.Role``).
ROLES = {
    "admin": _l("Admin"),
    "organiser": _l("Organiser"),
    "check_in": _l("Door staff (check-in)"),
}


def label(mapping: dict, code: object) -> str:
    return str(mapping.get(str(code), code))
