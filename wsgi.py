"""``gunicorn wsgi:app`` and ``flask --app wsgi …`` from the checkout (docs/commands.md).

The entry point itself is ``registration/wsgi.py``, which ships with the package:
an installed service runs ``gunicorn registration.wsgi:app`` and
``flask --app registration.wsgi …``.
"""

from registration.wsgi import app

__all__ = ["app"]
