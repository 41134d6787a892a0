"""Walking order of a warehouse: bins named aisle-rack-shelf sort naturally (``A-2-1`` before
``A-10-1``), and an explicit route sequence, when set, wins over the name."""

import re

_CHUNK = re.compile(r"(\d+)")


def natural_key(name):
    """A sort key that orders the digit runs of ``name`` by value and the rest case-insensitively:
    ``natural_key("A-10-2") > natural_key("A-9-2")``."""
    parts = _CHUNK.split(name or "")
    key = []
    for index, part in enumerate(parts):
        if index % 2:
            key.append((1, int(part), ""))
        elif part:
            key.append((0, 0, part.casefold()))
    return tuple(key)


def route_sort(items, name=lambda item: item[0], sequence=lambda item: 0):
    """``items`` in walking order: by route ``sequence`` (as Odoo sequences, lowest first; equal
    sequences, e.g. all unset at 0, keep the natural order), then by the natural order of
    their ``name`` (e.g. a location's full name ``KEN/Stock/A-02-1``)."""
    return sorted(items, key=lambda item: (sequence(item) or 0, natural_key(name(item))))
