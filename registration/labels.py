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
    "pending": _l("Waiting for approval"),
    "rejected": _l("Rejected"),
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

#: What each kind of email (``notifications.models.MessageKind``) is, in a word or two.
MESSAGE_KINDS = {
    "confirmed": _l("Seat confirmed"),
    "waitlisted": _l("On the waitlist"),
    "promoted": _l("Seat from the waitlist"),
    "cancelled": _l("Registration cancelled"),
    "already_registered": _l("Already registered"),
    "event_changed": _l("Event changed"),
    "event_cancelled": _l("Event cancelled"),
    "reminder": _l("Reminder"),
    "organiser_message": _l("Message from the organisers"),
    "feed_replaced": _l("New calendar address"),
    "manage_link": _l("Link to the registration"),
    "data_link": _l("Link to their data"),
    "account_invitation": _l("Invitation to the back office"),
    "password_reset": _l("Link to choose a password"),
    "pending": _l("Request received"),
    "rejected": _l("Registration rejected"),
    "certificate": _l("Certificate of attendance"),
}


def label(mapping: dict, code: object) -> str:
    return str(mapping.get(str(code), code))
