"""Helpers shared by the emulated channels."""

import base64
from datetime import datetime, timezone


def now_iso():
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value):
    dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def cursor(index):
    return base64.b64encode(b"cursor:%d" % index).decode()


def cursor_index(value):
    try:
        return int(base64.b64decode(value).decode().split(":")[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        return -1


def connection(items, first=None, after=None):
    """A GraphQL connection (nodes, edges, pageInfo) over ``items``."""
    start = cursor_index(after) + 1 if after else 0
    first = 50 if first is None else first
    page = items[start : start + first]
    edges = [{"node": n, "cursor": cursor(start + i)} for i, n in enumerate(page)]
    return {
        "nodes": page,
        "edges": edges,
        "pageInfo": {
            "__typename": "PageInfo",
            "hasNextPage": start + len(page) < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
