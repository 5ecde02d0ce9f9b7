"""Contract fixtures: the providers' documented answers, and a comparer for their shape.

Each ``<provider>/<name>.json`` holds one documented answer::

    {
      "_source": "<the provider page it comes from>",
      "_example": "verbatim … | built from the schema …",   # how faithful the body is
      "status": 200,                 # the documented (or observed) HTTP status
      "optional": ["a.b", "c[].d"],  # documented keys an answer may leave out
      "open": ["c[].e"],             # objects whose keys vary (field masks, free maps)
      "body": {...}                  # the answer
    }

``shape_problems(contract, live)`` says how a live answer departs from the documented
shape: a required key missing, a value of another JSON type, or a key the documentation
does not have (at every level, except under ``open`` paths). Paths are dotted; ``[]``
stands for every element of a list.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Contract:
    name: str
    source: str
    status: int
    body: Any
    optional: frozenset[str] = field(default_factory=frozenset)
    open: frozenset[str] = field(default_factory=frozenset)

    def answer(self) -> Any:
        """A fresh copy of the documented body (tests may change it)."""
        return copy.deepcopy(self.body)


def load(name: str) -> Contract:
    """``load("google/token")``: the fixture at tests/contracts/google/token.json."""
    raw = json.loads((HERE / f"{name}.json").read_text())
    assert raw["_source"].startswith("https://"), f"{name}: every fixture names its source page"
    return Contract(
        name=name,
        source=raw["_source"],
        status=raw["status"],
        body=raw["body"],
        optional=frozenset(raw.get("optional", ())),
        open=frozenset(raw.get("open", ())),
    )


def every_fixture() -> list[str]:
    return sorted(str(path.relative_to(HERE).with_suffix("")) for path in HERE.glob("*/*.json"))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def shape_problems(contract: Contract, live: Any) -> list[str]:
    """Every way ``live`` departs from the documented shape; empty when it has it."""
    problems: list[str] = []
    _compare(contract.body, live, "", set(contract.optional), contract.open, problems)
    return problems


def _merged(elements: list[Any]) -> tuple[Any, set[str]]:
    """One documented element standing for all of a list's: the union of their keys.

    Keys (dotted, relative to the element) that only some documented elements have are
    optional, and returned as such.
    """
    objects = [element for element in elements if isinstance(element, dict)]
    if len(objects) != len(elements) or not objects:
        return elements[0], set()
    merged: dict[str, Any] = {}
    partial: set[str] = set()
    for key in dict.fromkeys(key for element in objects for key in element):
        values = [element[key] for element in objects if key in element]
        if len(values) < len(objects):
            partial.add(key)
        if len(values) > 1 and all(isinstance(value, dict) for value in values):
            merged[key], nested = _merged(values)
            partial |= {f"{key}.{name}" for name in nested}
        else:
            merged[key] = values[0]
    return merged, partial


def _compare(
    documented: Any, live: Any, path: str, optional: set[str], open_paths: frozenset[str], problems: list[str]
) -> None:
    where = path or "(top level)"
    if documented is None:
        return  # documented as null: any value
    if _kind(documented) != _kind(live):
        problems.append(f"{where}: documented {_kind(documented)}, got {_kind(live)} {live!r:.80}")
        return
    if isinstance(documented, dict):
        for key, value in documented.items():
            child = _join(path, key)
            if key in live:
                _compare(value, live[key], child, optional, open_paths, problems)
            elif child not in optional:
                problems.append(f"{child}: documented, missing")
        if path not in open_paths:
            problems.extend(
                f"{_join(path, key)}: not in the documented answer" for key in live if key not in documented
            )
    elif isinstance(documented, list) and documented:
        element, partial = _merged(documented)
        optional = optional | {f"{path}[].{key}" for key in partial}
        for item in live:
            _compare(element, item, f"{path}[]", optional, open_paths, problems)
