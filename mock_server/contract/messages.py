"""Our wording for every validation problem: one table from pydantic's error types.

pydantic words its errors for Python programmers ("Input should be a valid dictionary",
"Value error, ..."); a client of the mock or the author of a fixture file reads ours, the
same for a create body, a fixture document, a state import and a fault rule. Our own
validators raise `refusal(kind, sentence)`, already in our words. The `type` we report is
ours too (pydantic names an extra field of a dataclass differently from one of a model), so
a client's checks survive a pydantic upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

_CONTEXT_OF_OURS = "reason"

# pydantic's type: (the type we report, our sentence; `{names}` come from the error's context
# and `{model}` is the model the field belongs to).
SENTENCES: dict[str, tuple[str, str]] = {
    "missing": ("missing", "is required"),
    "missing_keyword_only_argument": ("missing", "is required"),
    "extra_forbidden": ("extra_forbidden", "is not a field of {model}"),
    "unexpected_keyword_argument": ("extra_forbidden", "is not a field of {model}"),
    "invalid_key": ("extra_forbidden", "is not a field of {model} (field names are text)"),
    "dataclass_type": ("object_type", "must be an object (a mapping)"),
    "model_type": ("object_type", "must be an object (a mapping)"),
    "dict_type": ("dict_type", "must be an object (a mapping)"),
    "list_type": ("list_type", "must be a list"),
    "string_type": ("string_type", "must be a string"),
    "string_unicode": ("string_unicode", "must be UTF-8 text (no lone surrogates \\uD800-\\uDFFF)"),
    "string_pattern_mismatch": (
        "string_pattern_mismatch",
        "does not match the required pattern {pattern}",
    ),
    "string_too_short": ("string_too_short", "must be at least {min_length} characters long"),
    "string_too_long": ("string_too_long", "must be at most {max_length} characters long"),
    "bool_type": ("bool_type", "must be true or false (a boolean)"),
    "int_type": ("int_type", "must be an integer"),
    "float_type": ("float_type", "must be a number"),
    "greater_than_equal": ("greater_than_equal", "must be at least {ge}"),
    "less_than_equal": ("less_than_equal", "must be at most {le}"),
    "timezone_aware": (
        "timezone_aware",
        "must say its timezone, e.g. 2030-01-01T00:00:00Z (a time without one is ambiguous)",
    ),
    "datetime_type": ("datetime_type", "must be a date and time, e.g. 2030-01-01T00:00:00Z"),
    "datetime_parsing": ("datetime_type", "must be a date and time, e.g. 2030-01-01T00:00:00Z"),
    "datetime_from_date_parsing": (
        "datetime_type",
        "must be a date and time, e.g. 2030-01-01T00:00:00Z",
    ),
    "datetime_object_invalid": ("datetime_type", "is not a date and time that exists"),
}
UNLISTED = "is not valid here ({type})"  # a type the table lacks (tests keep it complete)


def refusal(kind: str, sentence: str) -> PydanticCustomError:
    """The error our own validators raise: `kind` is its `type`, `sentence` our wording."""
    return PydanticCustomError(kind, "{reason}", {_CONTEXT_OF_OURS: sentence})


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem of a body or document: where (`field`), what (`message`) and its `type`."""

    field: str
    message: str
    type: str

    def to_json(self) -> dict[str, str]:
        """An item of a 422 answer's `errors`."""
        return {"field": self.field, "message": self.message, "type": self.type}


Locate = Callable[[tuple[int | str, ...]], str]


def dotted(loc: tuple[int | str, ...]) -> str:
    """`registry_connector_init` or `errors.0.x`: a body's fields as the spec's FieldError says."""
    return ".".join(str(part) for part in loc)


def field_problems(
    error: ValidationError, model: type[Any], *, locate: Locate = dotted
) -> list[FieldProblem]:
    """Each of pydantic's errors for `model` in our words, located by `locate`."""
    return [
        FieldProblem(locate(tuple(item["loc"])), *our_words(item, model))
        for item in error.errors(include_url=False, include_input=False)
    ]


def our_words(item: ErrorDetails, model: type[Any]) -> tuple[str, str]:
    """The message and type we report for one of pydantic's errors about `model`."""
    context = item.get("ctx") or {}
    if item["type"] in SENTENCES:
        kind, template = SENTENCES[item["type"]]
        return template.format(model=_owner_name(model, tuple(item["loc"])[:-1]), **context), kind
    if _CONTEXT_OF_OURS in context:
        return str(context[_CONTEXT_OF_OURS]), item["type"]
    return UNLISTED.format(type=item["type"]), item["type"]


def _owner_name(model: type[Any], loc: tuple[int | str, ...]) -> str:
    """The name of the model (or dataclass) that `loc` points into, from `model` down."""
    node: Any = model
    for part in loc:
        if isinstance(part, int):  # an item of a list[X]: X
            node = next(iter(get_args(node)), node)
        else:
            fields = getattr(node, "__pydantic_fields__", None)
            if fields is None or part not in fields:
                break
            node = fields[part].annotation
    return getattr(node, "__name__", str(node))
