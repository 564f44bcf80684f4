"""ARNs in policy and boundary files must be in the partition of the account they are rendered for.

``arn:aws:s3:::bucket`` in a policy for a GovCloud account names nothing that account can
reach: IAM matches it against ``arn:aws-us-gov:...`` resources and never matches.  A file
meant for any partition writes ``arn:{{ partition }}:...``.  Reported once per position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rolecat.diagnostics import Diagnostic, error
from rolecat.model import Catalog

_ARN = re.compile(r"^arn:([a-z-]*):")


def _strings(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))


def check(catalog: Catalog) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[str, object]] = set()
    # A file without per-account placeholders is one document for every account it is
    # rendered for (``model.documents``): in another account of the same partition its
    # findings would all repeat (same ARN, same position).
    checked: set[tuple[int, int, str]] = set()
    for (_, _, account_name), rendered in sorted(catalog.rendered.items()):
        partition = catalog.account(account_name).partition
        same = (id(rendered.document), id(rendered.doc), partition)
        if same in checked:
            continue
        checked.add(same)
        for path, text in _strings(rendered.document):
            m = _ARN.match(text)
            if m is None or m.group(1) == partition or "$" in m.group(1) or "*" in m.group(1):
                continue
            loc = rendered.doc.locate(path)
            if (text, loc) in seen:
                continue
            seen.add((text, loc))
            out.append(
                error(
                    "C069",
                    f"ARN {text!r} is in partition {m.group(1) or '(none)'!r}, but account {account_name!r} "
                    f"is in {partition!r}",
                    loc,
                    "write arn:{{ partition }}:... so the ARN follows the account's region",
                )
            )
    return out
