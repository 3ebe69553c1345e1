"""Small in-process caches: each worker keeps what it found or rendered a moment ago.

The caches are cachetools'; here is only what they leave to their user: a lock,
since the development server answers in threads, and a cache per application
whose time to live follows the application's configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from cachetools import Cache, LRUCache, TTLCache
from flask import Flask


class Memo:
    """A cachetools cache that a worker's threads share."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            return self.cache.get(key)

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self.cache[key] = value


def lru_memo(app: Flask, name: str, *, maxsize: int) -> Memo:
    """The application's memo ``name``, keeping the ``maxsize`` most recently used."""
    return app.extensions.setdefault(name, Memo(LRUCache(maxsize)))


def ttl_memo(app: Flask, name: str, *, maxsize: int, ttl: float) -> Memo:
    """The application's memo ``name``, whose entries are forgotten ``ttl`` seconds after
    they were put (a new, empty one when the configured ``ttl`` has changed)."""
    memo = app.extensions.get(name)
    if memo is None or memo.cache.ttl != ttl:
        memo = app.extensions[name] = Memo(TTLCache(maxsize, ttl))
    return memo
