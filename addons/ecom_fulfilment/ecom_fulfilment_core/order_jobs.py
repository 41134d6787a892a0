"""Channel orders handed from the fetch job to the import jobs, and how they are split.

Plain Python, no ORM. The fetch job of a channel reads the orders (it calls the channel's API)
and queues one import job per chunk of them (no API call: any number run side by side); the
orders travel in the jobs' arguments as JSON, so the clients' dataclasses (RemoteOrder and
what it holds) are turned into plain values (dates as ISO text) and back.
"""

import types
import typing
from dataclasses import fields, is_dataclass
from datetime import date, datetime

#: Orders per import job: small enough that a failing job redoes little work and two workers
#: share the orders evenly; big enough that one job creates and confirms them together.
ORDER_JOB_CHUNK = 50


def to_json(value):
    """``value`` (a dataclass, or what one holds) as JSON values; dates as ISO text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


def from_json(cls, data):
    """The ``cls`` dataclass that ``to_json`` turned into ``data``: nested dataclasses, lists
    and dates typed as the fields say; keys the class does not have are left out."""
    hints = typing.get_type_hints(cls)
    data = data or {}
    values = {f.name: _typed(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}
    return cls(**values)


def _typed(hint, value):
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # e.g. datetime | None
        for arg in args:
            if arg is not type(None):
                return _typed(arg, value)
        return value
    if origin in (list, tuple):
        item = args[0] if args else None
        items = [_typed(item, v) if item is not None else v for v in value]
        return items if origin is list else tuple(items)
    if hint is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    if is_dataclass(hint) and isinstance(value, dict):
        return from_json(hint, value)
    return value


def order_chunks(remote_orders, size=ORDER_JOB_CHUNK):
    """Split the orders read into chunks of at most ``size``. An order read twice (changed
    while being read) is kept once, in its last state, so that each order is in one chunk
    only; orders without a reference are kept as they are (the import logs them)."""
    latest, unidentified = {}, []
    for remote in remote_orders:
        if remote.external_ref:
            latest.pop(remote.external_ref, None)
            latest[remote.external_ref] = remote
        else:
            unidentified.append(remote)
    ordered = list(latest.values()) + unidentified
    size = max(size, 1)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]
