"""The JSON API v1 (docs/api.md): no rules of its own, only translation to and from JSON."""
