"""The exceptions the generated schema validators (``rolecat/load/validators``) raise:
fastjsonschema's, restated with the same constructors, so that running a validator never
imports fastjsonschema, whose package loads its code generator and, through it,
``importlib.resources`` (with ``tempfile``, ``shutil`` and ``random``): 15-40 ms of every
validate, in the loading child and in the process itself.  ``scripts/gen-validators.py``
points the generated code here; a validator compiled at run time (its generated one out of
date) has its fastjsonschema exception turned into ``Invalid`` (``load/schema.py``)."""

from __future__ import annotations

from typing import Any


class Invalid(ValueError):
    """A document the schema does not accept (``fastjsonschema.JsonSchemaException``)."""


class JsonSchemaValueException(Invalid):
    """What a generated validator raises for the first value it refuses."""

    def __init__(
        self,
        message: str,
        value: Any = None,
        name: str | None = None,
        definition: Any = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.definition = definition
        self.rule = rule


class JsonSchemaValuesException(Invalid):
    """fastjsonschema's exception for all the refused values (``fast_fail`` off, which
    rolecat does not use); restated because the generated code names it."""

    def __init__(self, errors: list[JsonSchemaValueException]) -> None:
        self.message = "; ".join(error.message for error in errors)
        super().__init__(self.message)
        self.errors = errors
