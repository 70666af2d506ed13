"""Reading the JSON the integration API receives, for JSON bodies (``api.api``) and NDJSON
lines (``api.ingest``) alike.

``json.loads`` keeps the last of a repeated key (``{"amount": "1", "amount": "1000"}`` is
1000), so a body meaning two things would be read as one of them without a word. Here a
repeated key is refused instead, naming where it is.
"""

from __future__ import annotations

import json
from typing import Any


class RepeatedKey(ValueError):
    """A JSON object names ``key`` more than once; ``path`` leads to that object from the
    document's root (keys and list indexes)."""

    def __init__(self, key: str, path: list[str | int]):
        super().__init__(f"Repeated key {key!r}")
        self.key = key
        self.path = path


class _RepeatingObject(dict):
    """An object of the document in which ``repeated_key`` came more than once."""

    repeated_key: str


def json_loads_strict(data: str | bytes, **options: Any) -> Any:
    """``json.loads(data, **options)``, but raising ``RepeatedKey`` for an object with a repeated key.

    The path is worked out only for a refused document: a valid one costs one ``dict`` per
    object more than ``json.loads``, nothing else."""
    repeating: list[_RepeatingObject] = []

    def pairs_to_object(pairs: list[tuple[str, Any]]) -> dict:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        seen: set[str] = set()
        marked = _RepeatingObject(obj)
        marked.repeated_key = next(key for key, _value in pairs if key in seen or seen.add(key))
        repeating.append(marked)
        return marked

    document = json.loads(data, object_pairs_hook=pairs_to_object, **options)
    if repeating:
        path, obj = _first_repeating(document, [])
        raise RepeatedKey(obj.repeated_key, path)
    return document


def _first_repeating(node: Any, path: list[str | int]) -> tuple[list[str | int], _RepeatingObject] | None:
    if isinstance(node, _RepeatingObject):
        return path, node
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found = _first_repeating(child, [*path, key])
        if found is not None:
            return found
    return None
