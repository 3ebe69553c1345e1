"""Small in-process caches: each worker keeps what it rendered a moment ago."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class LastUsed:
    """A bounded mapping that forgets the least recently used; safe for threaded servers."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: Hashable, item: object) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
