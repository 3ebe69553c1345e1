"""WSGI entry point: ``gunicorn registration.wsgi:app`` and ``flask --app registration.wsgi …``.

In a checkout, the top-level ``wsgi.py`` names this same ``app``, for the shorter
``gunicorn wsgi:app`` and ``flask --app wsgi …``.
"""

import sys

from registration import ConfigurationError, create_app

try:
    app = create_app()
except ConfigurationError as error:
    # One clear line instead of a traceback: this is an operator's mistake, not a bug.
    sys.exit(f"Configuration error: {error}")
