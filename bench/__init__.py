"""Benchmarks: they print figures; they are not tests (README, "Benchmarks").

Each one runs as a module from the project root, e.g.
``.venv/bin/python -m bench.registration_rush``: Python then imports ``bench``,
``registration`` and the shared helpers in ``tests.support`` from the checkout
as it does for the tests, with no path set by hand.
"""
