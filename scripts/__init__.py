"""Tools run from the checkout: ``python -m scripts.<name>`` (see the Makefile)."""
