"""Back office: events — list, create, edit, publish, cancel, duplicate."""

from __future__ import annotations
