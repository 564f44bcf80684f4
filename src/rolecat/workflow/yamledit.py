"""Surgical edits of catalog YAML: change the lines that must change, keep every other byte.

A person's file keeps its comments, key order, quoting, blank lines and indentation.  Each
edit composes the text with PyYAML (nodes carry start and end marks), splices new text at
those positions, and follows the style already in the file: a flow list ``[a, b]`` stays
flow, a block list stays block with its dash indentation, quoted siblings get a quoted
new item, a sorted list or mapping stays sorted (otherwise new entries go last), a
new entry goes above the comments written above the one it precedes, and a removed entry
takes the comments that are its own with it (``_own_comments``): those directly above it
up to a blank line, a heading or an entry commented out (``# - frank``), which stay.

Every edit is checked: the edited text is loaded with rolecat's own loader and must give
exactly the data the edit meant (``expect``); anything else raises ``EditError`` and the
caller writes nothing.  Layouts this module does not handle (aliases, multi-document
files, a value on a line shared with another key) raise ``EditError`` too.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

import yaml

from ..load.source import load_yaml_text

# A comment that heads a section rather than describing the entry below it: a rule or a
# fenced title (``# --- contractors ---``, ``# ===``, ``#### on call``).
_HEADING = re.compile(r"[ \t]*([-=#*~_])\1\1")
# What may follow a flow list's item on its line for the line to be the item's own: its
# comma, a comment, the line's end.
_ITEM_TAIL = re.compile(r"[ \t]*,?[ \t]*(#[^\n]*)?\r?\n?")

Path_ = tuple[str | int, ...]
_N = TypeVar("_N", bound=yaml.Node)
Value = Any  # str, int, bool, None, or lists and str-keyed mappings of them

# Plain scalars are tried only for text that starts like a word; the read-back check decides.
_PLAIN_CANDIDATE = re.compile(r"[A-Za-z0-9_./+=(][^\x00-\x1f\x7f]*(?<! )")
# What YAML 1.2's core schema reads as a number, a boolean or null where PyYAML (YAML 1.1)
# reads a string (1e3, 0o17): written quoted, so that YAML 1.2 tools (the editor's
# yaml-language-server the file headers name) read the same text rolecat does.
_YAML12_NOT_STRING = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
    r"|0o[0-7]+|0x[0-9a-fA-F]+|null|Null|NULL|~|true|True|TRUE|false|False|FALSE"
)
Styles = Mapping[str, str | None]
# libyaml when present, as rolecat's loader (``load.source``): the pure-Python scanner
# refuses a tab that separates tokens (``key:\tvalue``, ``- bob\t# c``, a trailing tab),
# which libyaml and YAML itself accept, so a file validate passed could not be edited.
_COMPOSER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EditError(Exception):
    """The file cannot be edited safely; nothing is written."""


# --------------------------------------------------------------------------- scalars


def _loads(text: str) -> Any:
    doc, diags = load_yaml_text(text, "<edit>")
    if doc is None or any(d.is_error for d in diags):
        raise EditError("; ".join(d.message for d in diags) or "not YAML")
    return doc.data


def scalar(value: str | int | bool, style: str | None = None, *, flow: bool = False) -> str:
    """``value`` as a YAML scalar that reads back as exactly ``value``.

    ``style`` is the sibling's style (None plain, ``'`` or ``"``); it is followed when it
    can carry the value.  Plain is used only when it reads back as the same string in
    the context it lands in (``flow``: inside ``[...]`` or ``{...}``), so ``yes``,
    ``null``, ``1e3``, ``a: b`` or ``x # y`` come out quoted.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    candidates: list[str] = []
    printable = value.isprintable()
    if style == "'" and printable:
        candidates.append("'" + value.replace("'", "''") + "'")
    if style is None and _PLAIN_CANDIDATE.fullmatch(value) and not _YAML12_NOT_STRING.fullmatch(value):
        candidates.append(value)
    if style != '"' and printable and "'" not in value:
        candidates.append("'" + value + "'")
    candidates.append(json.dumps(value, ensure_ascii=not printable))
    for text in candidates:
        probe = f"k: [{text}]\n" if flow else f"k: {text}\n"
        try:
            if _loads(probe) == {"k": [value] if flow else value}:
                return text
        except EditError:
            continue
    raise EditError(f"cannot write {value!r} as YAML")


# --------------------------------------------------------------------------- the document


class Document:
    """One YAML file being edited; ``text`` is the current text, ``data`` what it means."""

    def __init__(self, text: str, name: str = "<file>") -> None:
        self.name = name
        self.original = text
        # Edits work on "\n" text; a file written with CRLF throughout gets CRLF back (``result``).
        self.crlf = "\r\n" in text and text.count("\n") == text.count("\r\n")
        self.text = text.replace("\r\n", "\n") if self.crlf else text
        # A byte order mark is put back by ``result``: libyaml's marks do not count it.
        self.bom = self.text.startswith("\ufeff")
        self.text = self.text.removeprefix("\ufeff")
        try:
            self.data: Any = _loads(text) if text.strip() else None
        except EditError as exc:  # say which file: offboard edits several
            raise EditError(f"{name}: {exc}") from None
        self._compose()

    @property
    def result(self) -> str:
        """The edited text, with the file's own line endings."""
        text = self.text.replace("\n", "\r\n") if self.crlf else self.text
        return "\ufeff" + text if self.bom else text

    # ------------------------------------------------------------------ parsing
    def _compose(self) -> None:
        try:
            nodes = list(yaml.compose_all(self.text, Loader=_COMPOSER))
        except yaml.YAMLError as exc:
            raise EditError(f"{self.name}: not YAML: {exc}") from None
        if len(nodes) != 1:
            raise EditError(f"{self.name}: expected one YAML document, found {len(nodes)}")
        self.root = nodes[0]
        seen: set[int] = set()

        def walk(node: yaml.Node) -> None:
            if id(node) in seen:
                raise EditError(f"{self.name}: uses YAML aliases; edit it by hand")
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode) and node.style == "":  # plain: libyaml says ''
                node.style = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    walk(k)
                    walk(v)
            elif isinstance(node, yaml.SequenceNode):
                for v in node.value:
                    walk(v)

        walk(self.root)

    def node(self, path: Path_) -> yaml.Node | None:
        cur: yaml.Node = self.root
        for part in path:
            if isinstance(cur, yaml.MappingNode) and isinstance(part, str):
                found = _pair(cur, part)
                if found is None:
                    return None
                cur = found[1]
            elif isinstance(cur, yaml.SequenceNode) and isinstance(part, int) and part < len(cur.value):
                cur = cur.value[part]
            else:
                return None
        return cur

    def _need(self, path: Path_, kind: type[_N]) -> _N:
        node = self.node(path)
        if not isinstance(node, kind):
            what = (
                "mapping" if kind is yaml.MappingNode else "list" if kind is yaml.SequenceNode else "scalar"
            )
            raise EditError(f"{self.name}: {'.'.join(map(str, path)) or 'the document'} is not a {what}")
        return node

    # ------------------------------------------------------------------ text helpers
    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _line_end(self, index: int) -> int:
        """Index just after the newline ending the line that holds ``index - 1``."""
        if index > 0 and self.text[index - 1] == "\n":
            return index
        nl = self.text.find("\n", index)
        return len(self.text) if nl < 0 else nl + 1

    def _content_end(self, node: yaml.Node) -> int:
        """End of the last character that belongs to ``node`` (block collections end early)."""
        if not isinstance(node, yaml.CollectionNode) or node.flow_style:
            return int(node.end_mark.index)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children += [k, v]
        else:
            children = list(node.value)
        if not children:
            return int(node.start_mark.index)
        return max(self._content_end(c) for c in children)

    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]
        self._compose()

    def _block_lines(self, first: int, last: int) -> tuple[int, int]:
        """Whole lines from the one holding ``first`` through the one holding ``last - 1``."""
        return self._line_start(first), self._line_end(last)

    def _only_thing_on_line(self, start: int, end: int) -> bool:
        ls = self._line_start(start)
        before = self.text[ls:start]
        return before.strip() in ("", "-")

    def _indent_unit(self) -> tuple[int, int]:
        """(dash offset, key offset) of block sequence items under a key, as the file writes them."""
        for _, value in self.root.value if isinstance(self.root, yaml.MappingNode) else []:
            if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                item = value.value[0]
                dash = self._dash_column(item)
                key_col = self._key_column_of(value)
                return max(dash - key_col, 0), item.start_mark.column - dash
        return 2, 2

    def _key_column_of(self, value: yaml.Node) -> int:
        for k, v in self.root.value:
            if v is value:
                return int(k.start_mark.column)
        return 0

    def _dash_column(self, item: yaml.Node) -> int:
        i = item.start_mark.index - 1
        while i >= 0 and self.text[i] == " ":
            i -= 1
        if i < 0 or self.text[i] != "-":
            raise EditError(
                f"{self.name}: unexpected block sequence layout at line {item.start_mark.line + 1}"
            )
        return i - self._line_start(i)

    # ------------------------------------------------------------------ emitting
    def _flow(self, value: Value, styles: Styles, style: str | None = None, *, flow: bool = True) -> str:
        """``value`` on one line: a scalar (in flow or block context) or a flow collection."""
        if isinstance(value, Mapping):
            inner = ", ".join(
                f"{scalar(k, flow=True)}: {self._flow(v, styles, styles.get(k))}" for k, v in value.items()
            )
            return "{" + inner + "}"
        if isinstance(value, list | tuple):
            return "[" + ", ".join(self._flow(v, styles, style) for v in value) + "]"
        assert value is not None
        return scalar(value, style, flow=flow)

    def _block_item(
        self, value: Value, dash_col: int, key_off: int, styles: Styles, style: str | None
    ) -> str:
        """A block sequence item: ``- a`` or ``- k: v`` with continuation lines."""
        pad = " " * dash_col + "-" + " " * (key_off - 1)
        if isinstance(value, Mapping):
            lines = []
            for i, (k, v) in enumerate(value.items()):
                lead = pad if i == 0 else " " * (dash_col + key_off)
                lines.append(f"{lead}{scalar(k)}: {self._flow(v, styles, styles.get(k), flow=False)}\n")
            return "".join(lines)
        return f"{pad}{self._flow(value, styles, style, flow=False)}\n"

    # ------------------------------------------------------------------ edits
    def add_to_list(
        self,
        path: Path_,
        value: Value,
        *,
        keep_sorted: bool = True,
        before_key: str | None = None,
    ) -> None:
        """Add ``value`` to the list at ``path``; create the key (last in its mapping, or
        before ``before_key``) when missing.  A sorted list of strings stays sorted."""
        expect = copy.deepcopy(self.data)
        seq = self.node(path)
        if seq is None:
            self.add_key(path[:-1], str(path[-1]), [value], before_key=before_key)
            return
        if not isinstance(seq, yaml.SequenceNode):
            raise EditError(f"{self.name}: {'.'.join(map(str, path))} is not a list")
        target = _get(expect, path)
        items = seq.value
        position = len(items)
        strings = bool(target) and all(isinstance(t, str) for t in target)
        if keep_sorted and isinstance(value, str) and strings and list(target) == sorted(target):
            position = next((i for i, t in enumerate(target) if t > value), len(items))
        target.insert(position, copy.deepcopy(value))
        style = items[0].style if items and isinstance(items[0], yaml.ScalarNode) else None
        styles: dict[str, str | None] = {}
        for item in items:
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    if isinstance(v, yaml.ScalarNode):
                        styles.setdefault(k.value, v.style)
        if seq.flow_style:
            self._flow_insert(seq, position, self._flow(value, styles, style))
        elif not items:  # pragma: no cover - an empty block sequence is not YAML
            raise EditError(f"{self.name}: empty block list")
        else:
            dash = self._dash_column(items[0])
            key_off = items[0].start_mark.column - dash
            text = self._block_item(value, dash, key_off, styles, style)
            if isinstance(items[0], yaml.MappingNode) and items[0].flow_style:  # - {user: a, ...}
                text = " " * dash + "-" + " " * (key_off - 1) + self._flow(value, styles) + "\n"
            if position < len(items):
                at = self._line_start(self._dash_index(items[position]))
                if position:
                    at = self._above_its_comments(at, dash)
            else:
                at = self._comments_inside(self._line_end(self._content_end(items[-1])), dash)
                if at == len(self.text) and not self.text.endswith("\n"):
                    text = "\n" + text
            self._splice(at, at, text)
        self._check(expect)

    def _above_its_comments(self, line: int, column: int) -> int:
        """Where a new entry goes when it goes before the entry whose line starts at ``line``,
        which is not the first of its list or mapping: above the comment lines written above
        that entry (at its ``column``, directly or with blank lines between), so that every
        comment stays with what it was written above, and right after what precedes them,
        so that their blank lines stay theirs.  Comment lines that are glued to what
        precedes them and set apart from the entry by a blank line end what precedes: the
        entry goes directly above its own line then.  (Comments above a first entry head
        the list, the mapping or the file, and a new first entry goes below them.)"""

        def before(index: int) -> tuple[int, str]:  # the line that ends where ``index`` starts
            start = self._line_start(index - 1)
            return start, self.text[start:index]

        cursor = line
        while cursor > 0 and not before(cursor)[1].strip():  # blank lines between
            cursor = before(cursor)[0]
        gap, top = cursor != line, cursor
        cursor = self._comments_above(top, column)
        if cursor == top:  # no comment of its own
            return line
        if gap and before(cursor)[1].strip():  # glued to what precedes, apart from the entry
            return line
        while cursor > 0 and not before(cursor)[1].strip():
            cursor = before(cursor)[0]
        return cursor

    def _comments_above(self, line: int, column: int, collection: yaml.Node | None = None) -> int:
        """Start of the comment lines at ``column`` directly above the line starting at
        ``line`` (``line`` itself when there are none).  A comment indented with a tab has
        no column a reader agrees on: it is never counted, and ends the scan.  Given the
        ``collection`` an entry is removed from, only the entry's own: a heading or an entry
        of it commented out (``_set_apart``) ends the scan too, and stays, with the lines
        above it and those right below it indented deeper after the ``#`` (``# frank:``
        then ``#   team: x``).  (A new entry goes above them all: they start a group.)"""
        own: list[tuple[int, int]] = []  # (start, indent after the "#") of its lines, nearest first
        top = line
        while top > 0:
            start = self._line_start(top - 1)
            text = self.text[start:top]
            if not text.lstrip(" ").startswith("#") or len(text) - len(text.lstrip(" ")) != column:
                break
            body = text[column + 1 :].rstrip("\r\n")
            if collection is not None and _set_apart(body, collection, top=collection is self.root):
                while own and own[-1][1] > _indent(body):
                    own.pop()
                break
            own.append((start, _indent(body)))
            top = start
        return own[-1][0] if own else line

    def _comments_inside(self, end: int, column: int) -> int:
        """End of the comment lines right below the entry at ``column`` whose lines end at
        ``end`` and indented deeper than it: they are written inside it, so a new entry
        after it goes below them, as one before the next one does (``_above_its_comments``
        counts the next one's column only), and they go when it is removed."""
        while end < len(self.text):
            nl = self.text.find("\n", end)
            stop = len(self.text) if nl < 0 else nl + 1
            text = self.text[end:stop]
            if not text.lstrip(" ").startswith("#") or len(text) - len(text.lstrip(" ")) <= column:
                break
            end = stop
        return end

    def _own_comments(
        self, start: int, end: int, column: int, first: bool, collection: yaml.Node
    ) -> tuple[int, int]:
        """The lines ``start:end`` of a block entry at ``column`` that is removed, grown by
        the comment lines that are its own, by the rule new entries follow
        (``_above_its_comments``): those directly above it, unless it is the first of its
        list or mapping (they head it, and head it still above the new first entry), and
        those indented inside it below its last line.  A comment set apart from it by a
        blank line stays (it heads the group it stands above, or ends the one before), and
        so do a heading and an entry commented out, with every line above them
        (``_comments_above``): they went with it, and took an entry written as a comment.
        The blank lines stay too, but one of two separations (``_blanks_below``)."""
        top = start if first else self._comments_above(start, column, collection)
        return top, self._blanks_below(top, self._comments_inside(end, column))

    def _blanks_below(self, start: int, end: int) -> int:
        """``end`` of the lines ``start:end`` that are removed, grown by the blank lines
        right below them when a blank line is right above them: an entry set apart by
        blank lines on both sides left two separations in a row; the one above stays.
        Otherwise an entry removed from between two others leaves exactly what separated
        them."""
        if not start or self.text[self._line_start(start - 1) : start].strip():
            return end
        while end < len(self.text) and not self.text[end : self._line_end(end + 1)].strip():
            end = self._line_end(end + 1)
        return end

    def _dash_index(self, item: yaml.Node) -> int:
        return self._line_start(item.start_mark.index) + self._dash_column(item)

    def _flow_insert(self, seq: yaml.Node, position: int, text: str) -> None:
        items = seq.value
        open_, close = seq.start_mark.index, seq.end_mark.index - 1
        if not items:
            self._splice(open_ + 1, close, text)
            return
        multiline = items[-1].start_mark.line != seq.start_mark.line
        sep = ",\n" + " " * items[-1].start_mark.column if multiline else ", "
        if len(items) >= 2:  # the separator the file already uses, e.g. "," or " , "
            between = self.text[items[-2].end_mark.index : items[-1].start_mark.index]
            if between.count(",") == 1 and "#" not in between:
                sep = between
        if position < len(items):
            at = items[position].start_mark.index
            if not (position and self._flow_line_before(at, self._content_end(items[position]), text)):
                self._splice(at, at, text + sep)
            return
        own = self._own_lines(items[-1].start_mark.index, self._content_end(items[-1])) if multiline else None
        if own is not None:  # a line of its own after the last one's (its comment stays its own)
            start, end, tail = own
            last = items[-1]
            indent = self.text[start : last.start_mark.index]
            newline = "\r\n" if self.text[:end].endswith("\r\n") else "\n"
            comma = tail.lstrip().startswith(",")  # the file ends its items with commas
            if not comma:  # the last item gets one, on its line (before its comment)
                at = self._content_end(last)
                self._splice(at, at, ",")
                end += 1
            self._splice(end, end, indent + text + ("," if comma else "") + newline)
            return
        at = items[-1].end_mark.index
        self._splice(at, at, sep + text)

    def _flow_line_before(self, first: int, last: int, text: str) -> bool:
        """Put ``text`` on a line of its own before the flow entry written at ``first:last``
        when that entry, not the first, is on lines of its own: above the comments written
        above it (``_above_its_comments``), as in a block list.  Put right before it, the new
        entry went below them, and they described it.  False: nothing done, it is not."""
        own = self._own_lines(first, last)
        if own is None:
            return False
        line = self._above_its_comments(own[0], first - own[0])
        newline = "\r\n" if self.text[: own[1]].endswith("\r\n") else "\n"
        self._splice(line, line, self.text[own[0] : first] + text + "," + newline)
        return True

    def _own_lines(self, first: int, last: int) -> tuple[int, int, str] | None:
        """(start, end, tail) of the whole lines holding a flow collection's entry written
        at ``first:last`` when nothing else is on them but its comma and a comment
        (``tail``: what follows it there)."""
        start, end = self._block_lines(first, last)
        tail = self.text[last:end]
        if self.text[start:first].strip() or not _ITEM_TAIL.fullmatch(tail):
            return None
        return start, end, tail

    def remove_from_list(self, path: Path_, index: int) -> None:
        """Remove item ``index`` of the list at ``path``; an emptied list becomes ``[]``."""
        expect = copy.deepcopy(self.data)
        del _get(expect, path)[index]
        seq = self._need(path, yaml.SequenceNode)
        items = seq.value
        item = items[index]
        if seq.flow_style:
            self._cut_flow_entry(seq, [(i.start_mark.index, self._content_end(i)) for i in items], index)
        else:
            dash = self._dash_index(item)
            start, end = self._block_lines(dash, self._content_end(item))
            if not self._only_thing_on_line(dash, end):
                raise EditError(f"{self.name}: line {item.start_mark.line + 1} holds more than one item")
            start, end = self._own_comments(start, end, dash - start, not index, seq)
            if len(items) == 1:
                colon = self._colon_after_key(path)
                self.text = self.text[:start] + self.text[end:]
                self._splice(colon + 1, colon + 1, " []")
            else:
                self._splice(start, end, "")
        self._check(expect)

    def _cut_flow_entry(self, collection: yaml.Node, spans: list[tuple[int, int]], index: int) -> None:
        """Remove entry ``index`` of a flow list or mapping whose entries are written at
        ``spans``.  One on lines of its own (but its comma and a comment) goes as those
        lines, with the comment lines directly above it at its column unless it is the
        first, as a block entry (``_own_comments``): cutting up to the next entry took the
        next one's comment lines, and cutting from the one before gave that one this
        one's comment.  The only entry leaves ``[]`` (``{}``), or, when other comments are
        written between the brackets, the brackets with those comments: one on a bracket's
        line goes with its comma and comment, up to the line's end, and the comment lines
        below it stay (they went too, ``[alice  # a⏎  # the list's⏎]`` gave ``[]``)."""
        start, end = spans[index]
        last = index == len(spans) - 1
        own = self._own_lines(start, end)
        if len(spans) == 1:
            inside = collection.start_mark.index + 1, collection.end_mark.index - 1
            cut = self._to_line_end(start, end) if own is None else (own[0], self._blanks_below(*own[:2]))
            if "#" not in self.text[inside[0] : cut[0]] + self.text[cut[1] : inside[1]]:
                cut = inside
            self._splice(*cut, "")
        elif own is not None and (last or "," in own[2]):
            top = own[0] if not index else self._comments_above(own[0], start - own[0], collection)
            self._splice(top, self._blanks_below(top, own[1]), "")
            before = spans[index - 1][1]
            if last and "," not in own[2] and self.text[before : before + 1] == ",":  # none after the last
                self._splice(before, before + 1, "")
        elif not last:
            self._cut_from_flow(spans[index - 1][1] if index else None, start, end, spans[index + 1][0])
        else:
            self._splice(spans[index - 1][1], end, "")

    def _cut_from_flow(self, prev: int | None, start: int, end: int, following: int) -> None:
        """Remove the flow entry at ``start:end``, which ``following`` follows and whose
        predecessor ends at ``prev`` (None: it is the first), keeping every line break of
        the collection where it is.  Taking the entry up to ``following`` would pull the
        next line onto this one when ``following`` starts a later line: then an entry that
        shares its line with the one before goes with the separator before it (``a, b,⏎
        c`` -> ``a,⏎ c``), and one after the opening bracket with its comma and comment,
        and the blanks between them, which would end the line (``[ b,  # x⏎ c]`` -> ``[⏎
        c]``)."""
        before = self.text[self._line_start(start) : start]
        if "\n" not in self.text[end:following] or not before.strip():
            self._splice(start, following, "")  # same line, or a line of its own
        elif prev is not None and "\n" not in self.text[prev:start]:
            self._splice(prev, end, "")
        else:  # after the bracket: up to the line's end
            self._splice(*self._to_line_end(start, end), "")

    def _to_line_end(self, start: int, end: int) -> tuple[int, int]:
        """The span of the flow entry at ``start:end`` with its comma and comment, and, when
        that reaches the end of its line, the blanks before it (after the opening bracket),
        which would have ended the line (``[ alice  # lead`` gave ``[ ``)."""
        last = self._tail_end(end)
        if self.text[last : last + 1] in ("\n", ""):
            while start > 0 and self.text[start - 1] in " \t":
                start -= 1
        return start, last

    def _tail_end(self, end: int) -> int:
        """End of the comma and comment after the flow entry that ends at ``end``, on its line."""
        tail = _ITEM_TAIL.match(self.text, end)
        assert tail is not None  # it matches the empty string
        return end + len(tail.group().rstrip("\r\n"))

    def _colon_after_key(self, path: Path_) -> int:
        parent = self._need(path[:-1], yaml.MappingNode)
        found = _pair(parent, str(path[-1]))
        assert found is not None
        key = found[0]
        colon = self.text.find(":", key.end_mark.index)
        if colon < 0:  # pragma: no cover - a block mapping key is followed by ':'
            raise EditError(f"{self.name}: no ':' after {path[-1]}")
        return colon

    def add_key(self, path: Path_, key: str, value: Value, *, before_key: str | None = None) -> None:
        """Add ``key: value`` to the mapping at ``path`` (last, or before ``before_key``)."""
        expect = copy.deepcopy(self.data)
        target = _get(expect, path)
        if key in target:
            raise EditError(f"{self.name}: {key} already exists")
        mapping = self._need(path, yaml.MappingNode)
        items = list(target.items())
        keys = [k for k, _ in items]
        position = len(items)
        if before_key is not None and before_key in keys:
            position = keys.index(before_key)
        elif before_key == "<sorted>" and keys == sorted(keys):
            position = next((i for i, k in enumerate(keys) if k > key), len(keys))
        items.insert(position, (key, copy.deepcopy(value)))
        target.clear()
        target.update(items)
        if mapping.flow_style:
            text = f"{scalar(key, flow=True)}: {self._flow(value, {})}"
            pairs = mapping.value
            if not pairs:
                self._splice(mapping.start_mark.index + 1, mapping.end_mark.index - 1, text)
            elif position < len(pairs):
                at = pairs[position][0].start_mark.index
                end = self._content_end(pairs[position][1])
                if not (position and self._flow_line_before(at, end, text)):
                    self._splice(at, at, text + ", ")
            else:
                at = pairs[-1][1].end_mark.index
                self._splice(at, at, ", " + text)
            self._check(expect)
            return
        pairs = mapping.value
        if not pairs:  # pragma: no cover - an empty block mapping is not YAML
            raise EditError(f"{self.name}: empty mapping")
        col = pairs[0][0].start_mark.column
        text = self._emit_pair(key, value, col, pairs)
        if text.endswith(":\n") and value == {}:
            target[key] = None  # written as its siblings are: `name:` with nothing after it
        if position < len(pairs):
            at = self._line_start(pairs[position][0].start_mark.index)
            if not self._only_thing_on_line(pairs[position][0].start_mark.index, at):
                # the first key of a sequence item shares its line with the dash
                raise EditError(f"{self.name}: cannot insert before {pairs[position][0].value}")
            if position:
                at = self._above_its_comments(at, col)
        else:
            at = self._comments_inside(self._line_end(self._content_end(pairs[-1][1])), col)
            if at == len(self.text) and not self.text.endswith("\n"):
                text = "\n" + text
        self._splice(at, at, text)
        self._check(expect)

    def _emit_pair(
        self, key: str, value: Value, col: int, siblings: list[tuple[yaml.Node, yaml.Node]]
    ) -> str:
        pad = " " * col
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            dash_off, key_off = self._indent_unit()
            body = "".join(self._block_item(v, col + dash_off, key_off, {}, None) for v in value)
            return f"{pad}{scalar(key)}:\n{body}"
        if isinstance(value, list):
            block = any(
                isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value for _, v in siblings
            ) and not any(isinstance(v, yaml.SequenceNode) and v.flow_style for _, v in siblings)
            if block and value:
                dash_off, key_off = self._indent_unit()
                body = "".join(self._block_item(v, col + dash_off, key_off, {}, None) for v in value)
                return f"{pad}{scalar(key)}:\n{body}"
            return f"{pad}{scalar(key)}: {self._flow(value, {})}\n"
        if isinstance(value, Mapping):
            sibling = next((v for _, v in siblings if isinstance(v, yaml.MappingNode)), None)
            if sibling is not None and not sibling.flow_style and sibling.value and value:
                inner = sibling.value[0][0].start_mark.column
                body = "".join(
                    f"{' ' * inner}{scalar(k)}: {self._flow(v, {}, flow=False)}\n" for k, v in value.items()
                )
                return f"{pad}{scalar(key)}:\n{body}"
            if (
                not value
                and sibling is None
                and any(isinstance(v, yaml.ScalarNode) and v.tag.endswith(":null") for _, v in siblings)
            ):
                return f"{pad}{scalar(key)}:\n"
            return f"{pad}{scalar(key)}: {self._flow(value, {})}\n"
        if value is None:
            return f"{pad}{scalar(key)}:\n"
        return f"{pad}{scalar(key)}: {scalar(value)}\n"

    def remove_key(self, path: Path_, key: str) -> None:
        """Remove ``key`` and its value from the mapping at ``path``; an emptied mapping is ``{}``."""
        expect = copy.deepcopy(self.data)
        del _get(expect, path)[key]
        mapping = self._need(path, yaml.MappingNode)
        pairs = mapping.value
        index = next(i for i, (k, _) in enumerate(pairs) if k.value == key)
        k, v = pairs[index]
        if mapping.flow_style:
            spans = [(pk.start_mark.index, self._content_end(pv)) for pk, pv in pairs]
            self._cut_flow_entry(mapping, spans, index)
        else:
            if not self._only_thing_on_line(k.start_mark.index, 0) or k.start_mark.index == self._dash_after(
                k
            ):
                raise EditError(f"{self.name}: cannot remove {key} (shares its line)")
            start, end = self._block_lines(k.start_mark.index, self._content_end(v))
            start, end = self._own_comments(start, end, k.start_mark.column, not index, mapping)
            if len(pairs) == 1:
                colon = self._colon_after_key(path)
                self.text = self.text[:start] + self.text[end:]
                self._splice(colon + 1, colon + 1, " {}")
            else:
                self._splice(start, end, "")
        self._check(expect)

    def has_comments_above(self, path: Path_) -> bool:
        """Whether comment lines are written above the key at ``path`` (as a new entry
        before it would go above them): removing the key would take them with it, or,
        set apart from it by a blank line, leave them describing whatever follows, so a
        caller that empties it keeps it, empty, instead.  Not when every one of them is a
        key commented out (``# teams: [ops]``, with the lines inside it) or a heading
        (``_set_apart``): those are not its own, and stay where they are when it goes."""
        mapping = self._need(path[:-1], yaml.MappingNode)
        index = next((i for i, (k, _) in enumerate(mapping.value) if k.value == path[-1]), 0)
        if mapping.flow_style or not index:  # absent, or the first key: its comments head the mapping
            return False
        key = mapping.value[index][0]
        line, column = self._line_start(key.start_mark.index), key.start_mark.column
        cursor = self._above_its_comments(line, column)
        inside: int | None = None  # the indent after the "#" of the entry commented out above
        while cursor < line:
            end = self._line_end(cursor + 1)
            text = self.text[cursor:end].rstrip("\n")
            cursor = end
            if not text.strip():
                inside = None
                continue
            body = text[column + 1 :]
            if _set_apart(body, mapping, top=mapping is self.root):
                inside = _indent(body)
            elif inside is None or _indent(body) <= inside:
                return True  # a comment of its own
        return False

    def _dash_after(self, key: yaml.Node) -> int:
        before = self.text[self._line_start(key.start_mark.index) : key.start_mark.index]
        return key.start_mark.index if before.strip() == "-" else -1

    def set_scalar(self, path: Path_, value: str | int | bool) -> None:
        """Replace the scalar at ``path``, keeping its quoting style when it can carry the value."""
        expect = copy.deepcopy(self.data)
        parent = _get(expect, path[:-1])
        parent[path[-1]] = value
        node = self._need(path, yaml.ScalarNode)
        if node.style in ("|", ">"):
            raise EditError(f"{self.name}: {'.'.join(map(str, path))} is a block scalar; edit it by hand")
        self._splice(
            node.start_mark.index, node.end_mark.index, scalar(value, node.style, flow=self._in_flow(path))
        )
        self._check(expect)

    def _in_flow(self, path: Path_) -> bool:
        return any(
            isinstance(n, yaml.SequenceNode | yaml.MappingNode) and n.flow_style
            for n in (self.node(path[:i]) for i in range(len(path)))
        )

    def _check(self, expect: Any) -> None:
        got = _loads(self.text)
        if got != expect:  # pragma: no cover - a bug in this module, caught before writing
            raise EditError(f"{self.name}: the edit did not give the intended content; nothing written")
        self.data = got


def _pair(mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _set_apart(comment: str, collection: yaml.Node, *, top: bool = False) -> bool:
    """Whether a comment line (``comment``: what follows its ``#``) is a heading (``---
    contractors ---``, ``=== x``, ``### x``) or an entry of ``collection`` commented out
    (``- frank`` in a block list, ``frank,`` in a flow list, ``frank: {team: x}`` or
    ``frank:`` in a mapping), not a comment on the entry below it.  At the ``top`` of a
    file, a key of a role file or of catalog.yaml is an entry whatever its value
    (``boundary: old-boundary``).  Otherwise a mapping entry's
    value must not be text: ``bob: contractor until May`` describes bob; nor may its key
    hold a space: the keys of the mappings rolecat edits are IAM user names (users.schema.json;
    IAM API Reference, CreateUser, UserName: "alphanumeric characters with no spaces",
    pattern ``[\\w+=,.@-]+``, https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html)
    and a role file's keys, so ``Contractor, access ends with the audit:`` is a sentence
    about the entry below it."""
    if _HEADING.match(comment):
        return True
    if isinstance(collection, yaml.SequenceNode) and not collection.flow_style:
        return re.match(r"[ \t]*-([ \t]|$)", comment) is not None
    text = comment.strip(" \t")  # a tab after the "#" is no YAML indentation
    try:
        if isinstance(collection, yaml.SequenceNode):  # one flow entry, and its comma
            node = yaml.compose(f"[{text}\n]", Loader=_COMPOSER)
            one = isinstance(node, yaml.SequenceNode) and len(node.value) == 1
            return one and re.search(r",[ \t]*(#.*)?$", text) is not None
        node = yaml.compose(re.sub(r",?[ \t]*(#.*)?$", "", text), Loader=_COMPOSER)
    except (yaml.YAMLError, RecursionError):  # prose, or nested too deeply for the pure-Python composer
        return False
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return False
    key, value = node.value[0]
    if not isinstance(key, yaml.ScalarNode) or re.search(r"\s", key.value):
        return False
    if top and key.value in _file_keys():
        return True
    if key.value.lower() in _MARKERS and not isinstance(value, yaml.CollectionNode):
        return False  # "# Note:", "# TODO: ask bob": words about what follows
    return isinstance(value, yaml.CollectionNode) or value.tag.endswith(":null")


# Words that open a remark, not a name: ``# Note:`` above an entry is about that entry.
_MARKERS = frozenset(
    {"note", "notes", "nb", "n.b.", "todo", "fixme", "xxx", "warning", "important", "caution"}
)


@functools.cache
def _file_keys() -> frozenset[str]:
    """The top-level keys of a role file and of catalog.yaml: their schemas' properties."""
    from ..load.schema import schema

    return frozenset(key for name in ("role", "catalog") for key in schema(name).get("properties", {}))


def _indent(comment: str) -> int:
    return len(comment) - len(comment.lstrip(" \t"))


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data
