"""Calendar feeds: what calendar clients read, checked with two independent parsers."""
