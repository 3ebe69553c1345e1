"""Organiser API: creating and changing events (SPEC section 5, organiser endpoints)."""

from __future__ import annotations

from registration.api.views import bp  # noqa: F401  (routes are added to the API blueprint)

#: OpenAPI path items of this module, merged into the document by ``api/openapi.py``.
PATHS: dict = {}
#: OpenAPI component schemas of this module.
SCHEMAS: dict = {}
