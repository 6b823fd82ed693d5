"""In-memory stand-ins for repositories, shared by the service unit tests."""
from __future__ import annotations


class Records:
    """A record repository's read contract (get, get_many) over a dict."""

    def __init__(self, items=()):
        self.items = {i.id: i for i in items}

    def get(self, record_id):
        return self.items.get(record_id)

    def get_many(self, ids):
        return {i: self.items[i] for i in ids if i in self.items}
