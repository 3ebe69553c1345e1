"""The JSON API v1 (SPEC section 5): no rules of its own, only translation to and from JSON."""
