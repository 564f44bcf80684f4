"""IAM wildcard patterns: ``*`` matches any run of characters, ``?`` any one character.

IAM has no other glob syntax (no ``[...]``), so ``fnmatch`` is the wrong tool: it would
read brackets as character classes.  Besides matching a concrete string, the engine
needs two questions about pairs of patterns: can they match a common string
(``overlaps``), and does one match everything the other does (``covers``).
Policy variables such as ``${aws:username}`` stand for an unknown value; ``widen``
turns each into ``*``.

In an ARN (a pattern starting with ``arn:``) a ``*`` matches across ``:`` only when it
is the last character of its segment ("If the * wildcard is the last character of a
resource ARN segment, it can expand to match beyond the colon boundaries", IAM JSON
policy elements: Resource): ``function:*-prod`` names ``function:api-prod`` but not the
alias ``function:app:blue-prod``; ``function:*`` names both.  Every function here
follows that rule (``_limited``).  Action patterns (``s3:Get*``) have no segments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

_VARIABLE = re.compile(r"\$\{[^}]*\}")


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def widen(pattern: str) -> str:
    """Replace every policy variable ``${...}`` with ``*``."""
    return _VARIABLE.sub("*", pattern) if "${" in pattern else pattern


# IAM's escapes for the characters a policy variable would otherwise take: ``${$}`` is a
# literal ``$``; ``${*}`` and ``${?}`` are a literal ``*`` and ``?`` (IAM policy
# elements: policy variables, special characters), which no pattern here can say.
LITERAL_DOLLAR = "${$}"


def variables(pattern: str) -> tuple[str, ...]:
    """The policy variables of a resource pattern whose value, or whose exact meaning,
    a pattern here cannot say: every ``${...}`` but ``${$}``, in order."""
    if "${" not in pattern:
        return ()
    return tuple(v for v in _VARIABLE.findall(pattern) if v != LITERAL_DOLLAR)


def resolve_variables(pattern: str) -> str:
    """``pattern`` with ``${$}`` as the ``$`` it stands for and every other variable
    widened to ``*`` (in one pass: a ``$`` put back never starts a variable)."""
    if "${" not in pattern:
        return pattern
    return _VARIABLE.sub(lambda m: "$" if m.group() == LITERAL_DOLLAR else "*", pattern)


@cache
def _limited(pattern: str) -> tuple[bool, ...]:
    """For each position of an ARN pattern, whether it holds a ``*`` that stays within its
    segment (one followed by anything but ``:``); all False for other patterns."""
    if not pattern.startswith("arn:"):
        return (False,) * len(pattern)
    last = len(pattern) - 1
    return tuple(ch == "*" and i < last and pattern[i + 1] != ":" for i, ch in enumerate(pattern))


@cache
def compile_glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    parts = []
    limited = _limited(pattern)
    for i, ch in enumerate(pattern):
        if ch == "*":
            parts.append("[^:]*" if limited[i] else ".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Whether the concrete ``text`` matches the IAM wildcard ``pattern``."""
    if not has_wildcard(pattern):
        return pattern.lower() == text.lower() if ignore_case else pattern == text
    return compile_glob(pattern, ignore_case=ignore_case).fullmatch(text) is not None


def _reaches(steps: Callable[[int, int], list[tuple[int, int]]], goal: tuple[int, int]) -> bool:
    """Whether ``goal`` is reached from (0, 0), each position going on to ``steps(i, j)``:
    the matchers below, as a search with a stack of its own (a recursion would be as deep
    as the two patterns are long, and an S3 object ARN may be 1,100 characters)."""
    todo, seen = [(0, 0)], {(0, 0)}
    while todo:
        here = todo.pop()
        if here == goal:
            return True
        for step in steps(*here):
            if step not in seen:
                seen.add(step)
                todo.append(step)
    return False


@cache
def overlaps_arn(a: str, b: str) -> bool:
    """``overlaps`` for two policy patterns naming the resources of an action whose ARNs
    all hold exactly five colons, IAM's (``arn:aws:iam::<account>:role/<path><name>``: no
    IAM name or path holds a ``:``).  Each colon of such a pattern with five colons then
    meets one of the ARN's, so no ``*`` crosses one, and the two patterns are compared
    field by field: an account ``*`` no longer swallows the colons it would need to make
    ``arn:aws:iam::*:role/ops/*`` meet ``arn:aws:iam::*:role/app/*``.  Other patterns (a
    colon fewer or more): ``overlaps``."""
    if a.count(":") != 5 or b.count(":") != 5 or not a.startswith("arn:") or not b.startswith("arn:"):
        return overlaps(a, b)
    pa, pb = a.split(":"), b.split(":")
    return all(overlaps(x, y) for x, y in zip(pa[1:], pb[1:], strict=True))


@cache
def overlaps(a: str, b: str) -> bool:
    """Whether some string matches both patterns (wildcards on both sides)."""
    if not has_wildcard(a):
        return matches(b, a)
    if not has_wildcard(b):
        return matches(a, b)
    la, lb = _limited(a), _limited(b)

    def steps(i: int, j: int) -> list[tuple[int, int]]:
        if i < len(a) and a[i] == "*":
            # a's star matches nothing, or swallows b's next character (or b's star, which
            # can always produce what a segment's star can); never a ':' if it is a segment's.
            return [(i + 1, j), *([(i, j + 1)] if j < len(b) and not (la[i] and b[j] == ":") else [])]
        if j < len(b) and b[j] == "*":
            return [(i, j + 1), *([(i + 1, j)] if i < len(a) and not (lb[j] and a[i] == ":") else [])]
        if i < len(a) and j < len(b) and (a[i] == b[j] or a[i] == "?" or b[j] == "?"):
            return [(i + 1, j + 1)]
        return []

    return _reaches(steps, (len(a), len(b)))


@cache
def covers(outer: str, inner: str) -> bool:
    """Whether every string ``inner`` matches also matches ``outer``.

    Sound but not complete: it answers True only when a star of ``outer`` can absorb
    each wildcard of ``inner``, which is every case policies meet in practice.
    """
    if outer in ("*", inner):
        return True
    if not has_wildcard(inner):
        return matches(outer, inner)
    lo, li = _limited(outer), _limited(inner)

    def absorbs(i: int, j: int) -> bool:
        """Whether outer's star at ``i`` can produce whatever inner's ``j`` does: a
        segment's star produces no ':' (so not a ':', a '?' or a star that crosses ':')."""
        if not lo[i]:
            return True
        ch = inner[j]
        return ch not in ":?" and (ch != "*" or li[j])

    def steps(i: int, j: int) -> list[tuple[int, int]]:
        if i == len(outer):
            return []  # the end of outer: a match only at the end of inner
        if outer[i] == "*":
            return [(i + 1, j), *([(i, j + 1)] if j < len(inner) and absorbs(i, j) else [])]
        if j == len(inner):
            return []
        if outer[i] == "?":
            return [(i + 1, j + 1)] if inner[j] != "*" else []
        return [(i + 1, j + 1)] if inner[j] == outer[i] else []

    return _reaches(steps, (len(outer), len(inner)))


# A star that never matches ':' (an ARN field such as the account or region).
FIELD_STAR = "\x00"
# A star that matches neither ':' nor '/': a resource name whose service's naming rules
# allow neither (``NAME_VARIABLES``).
NAME_STAR = "\x01"
_FIELD_VARIABLE = re.compile(r"\$\{[^}]*\}")
# Variables of the resource part that name something whose name can hold no '/' (nor
# ':'), by the service's documented naming rules, so that ``arn:aws:s3:::logs/*`` (an
# object pattern) does not overlap the bucket format ``arn:${Partition}:s3:::${BucketName}``:
# - BucketName: S3 bucket naming rules, "lowercase letters, numbers, periods, and hyphens";
# - TableName, IndexName: DynamoDB naming rules, "a-z, A-Z, 0-9, _ (underscore),
#   - (dash), . (dot)";
# - FunctionName: Lambda function names, letters, digits, hyphens and underscores;
# - QueueName: SQS queue names, "alphanumeric characters, hyphens (-), and underscores (_)";
# - TopicName: SNS topic names, letters, digits, underscores and hyphens.
NAME_VARIABLES = frozenset({"BucketName", "TableName", "IndexName", "FunctionName", "QueueName", "TopicName"})


def _tail_star(m: re.Match[str]) -> str:
    return NAME_STAR if m.group()[2:-1] in NAME_VARIABLES else "*"


def arn_format_pattern(arn_format: str) -> str:
    """An ARN format of the service authorization reference as a typed pattern.

    ``arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}``: a variable in
    one of the first five fields (partition, service, region, account) matches no
    ``:``, so it becomes ``FIELD_STAR``; a variable in the resource part becomes
    ``NAME_STAR`` when it names something whose name holds no ``/`` (``NAME_VARIABLES``),
    else ``*`` (a path, an object key: anything).  ``overlaps_format`` compares a policy
    pattern with such a pattern.
    """
    parts = arn_format.split(":", 5)
    head = [_FIELD_VARIABLE.sub(FIELD_STAR, p) for p in parts[:5]]
    tail = [_FIELD_VARIABLE.sub(_tail_star, p) for p in parts[5:]]
    return ":".join(head + tail)


@cache
def overlaps_format(pattern: str, typed: str) -> bool:
    """Whether some string matches both the policy ``pattern`` (IAM wildcards, a
    ``*`` matches anything) and the ``typed`` pattern of ``arn_format_pattern``.

    Unlike widening every variable to ``*``, ``arn:aws:iam::1:role/*`` then does not
    overlap the policy format ``arn:*:iam::*:policy/*``.
    """
    a, b = pattern, typed
    stars = ("*", FIELD_STAR, NAME_STAR)
    la, lb = _limited(a), _limited(b)

    def accepts(j: int, ch: str) -> bool:  # can b's star at ``j`` produce the character ``ch``?
        star = b[j]
        if star == NAME_STAR:
            return ch not in ":/"
        return (star == "*" and not lb[j]) or ch != ":"

    def steps(i: int, j: int) -> list[tuple[int, int]]:
        ai = a[i] if i < len(a) else None
        bj = b[j] if j < len(b) else None
        out = []
        if ai == "*":
            out.append((i + 1, j))  # a's star produces nothing
            if bj is not None and bj not in stars and not (la[i] and bj == ":"):
                out.append((i, j + 1))  # a's star produces b's literal (or '?'); a segment's star no ':'
        if bj in stars:
            out.append((i, j + 1))  # b's star produces nothing
            if ai is not None and ai != "*" and (ai == "?" or accepts(j, ai)):
                out.append((i + 1, j))  # b's star produces a's literal
        if (
            ai is not None
            and bj is not None
            and ai != "*"
            and bj not in stars
            and (ai in (bj, "?") or bj == "?")
        ):
            out.append((i + 1, j + 1))
        return out

    return _reaches(steps, (len(a), len(b)))
