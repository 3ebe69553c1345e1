"""Back office: attendee lists, manual changes, check-in, exports and messages."""

from __future__ import annotations
