"""What an expression does to one value: the leaf semantics the compiled code and the interpreter share.

Values are decoded JSON. Python `None` is an ABSENT value (null, or a field the event leaves out), and
`UNKNOWN` is what reading through a missing signal gives. Truth values are `True`, `False` and `None` for
unknown. The functions here take known values only: callers decide what unknown does (the three-valued
logic lives in the compiler and the interpreter, which must agree; the property tests check they do).

Every function raises `TypeError` with a message a policy author can read when the data has the wrong
shape; the caller turns that into an `EvalFailure` naming the expression and its place in the ruleset.
The generated code inlines the common cases (a string compared with a string, a field read from a dict)
and calls these functions for everything else, so the two can never disagree on the rare cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ruleward.dsl.source import Span


class _Unknown:
    """The value of a path through a missing signal. Using it as a Python truth value is a bug."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value here")


class _NotYet:
    """A memoised value not computed yet in this evaluation."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_YET"


UNKNOWN: Final = _Unknown()
NOT_YET: Final = _NotYet()

Truth = bool | None  # None is unknown


class EvalFailure(Exception):
    """Evaluating a rule failed on this event's data; recorded as the rule's error (fail closed)."""

    def __init__(self, message: str, span: Span | None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


# ---- describing values in messages --------------------------------------------------------------------


def show(value: object) -> str:
    """How a message names a value: `nothing`, `true`, `"abc"`, `12`, `a list`, `an object`."""
    if value is None:
        return "nothing"
    if value is UNKNOWN:
        return "an unknown value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"'
    if isinstance(value, int | float):
        return f"`{value}`"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a `{type(value).__name__}`"


def snippet(span: Span | None, texts: Mapping[str, str]) -> str:
    """The source text of an expression, on one line and shortened, for messages."""
    if span is None:
        return "expression"
    text = texts.get(span.file)
    if text is None or not 0 <= span.start < span.end <= len(text):
        return "expression"
    one_line = " ".join(text[span.start : span.end].split())
    return one_line if len(one_line) <= 80 else one_line[:77] + "..."


def failure(span: Span | None, text: str, error: BaseException) -> EvalFailure:
    """The failure of the expression at `span` (source `text`) that raised `error`."""
    if isinstance(error, EvalFailure):
        return error
    detail = str(error) or type(error).__name__
    if isinstance(error, RecursionError):
        detail = "the data is nested too deeply"
    return EvalFailure(f"cannot evaluate `{text}`: {detail}", span)


def unknown_message(clause: str, missing: list[str]) -> str:
    if not missing:
        return f"`{clause}` is unknown: a signal it reads is missing"
    names = ", ".join(f"`{name}`" for name in missing)
    noun = "signal" if len(missing) == 1 else "signals"
    verb = "is" if len(missing) == 1 else "are"
    return f"`{clause}` is unknown: {noun} {names} {verb} missing (null or absent)"


# ---- leaf semantics -----------------------------------------------------------------------------------


def is_number(value: object) -> bool:
    # a boolean is never a number in the language, though Python says True == 1; NaN is not a number either:
    # it compares false with everything, so a NaN score or distance would quietly fail open
    if value.__class__ is int:
        return True
    if value.__class__ is float:
        return value == value
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def truth(value: object) -> bool:
    """A value used as a condition: true or false; absent is false; anything else is an error."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    raise TypeError(f"expected true or false, found {show(value)}")


def get_field(value: object, name: str, default: object = None) -> object:
    """`value.name`: absent when `value` is absent, `default` when the field is left out."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return None
    if isinstance(value, Mapping):
        found = value.get(name)
        return default if found is None else found  # `null` where there is a default reads as the default
    raise TypeError(f"cannot read `{name}` of {show(value)}")


def iterate(value: object) -> list[object] | tuple[object, ...]:
    """The items a quantifier walks: an absent list has none."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return value
    raise TypeError(f"expected a list, found {show(value)}")


def equal(left: object, right: object) -> bool:
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    return bool(left == right)


def order(op: str, left: object, right: object) -> bool:
    """`<`, `<=`, `>`, `>=`: false when either side is absent; numbers with numbers, strings with strings."""
    if left is None or right is None:
        return False
    if not (is_number(left) and is_number(right)) and not (isinstance(left, str) and isinstance(right, str)):
        raise TypeError(f"cannot order {show(left)} and {show(right)}")
    a, b = left, right
    if op == "<":
        return bool(a < b)  # type: ignore[operator]
    if op == "<=":
        return bool(a <= b)  # type: ignore[operator]
    if op == ">":
        return bool(a > b)  # type: ignore[operator]
    if op == ">=":
        return bool(a >= b)  # type: ignore[operator]
    raise ValueError(f"unknown ordering {op}")


def member(item: object, collection: object) -> bool:
    """`item in collection`: false when either is absent; a list by equality, a string by substring."""
    if item is None or collection is None:
        return False
    if isinstance(item, list | tuple | Mapping):
        raise TypeError(f"cannot look for {show(item)} in a list: only single values can be looked up")
    if isinstance(collection, list | tuple | frozenset):
        return any(equal(item, candidate) for candidate in collection)
    if isinstance(collection, str):
        if not isinstance(item, str):
            raise TypeError(f"cannot look for {show(item)} in a string")
        return item in collection
    raise TypeError(f"expected a list or a string to look in, found {show(collection)}")


def is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple | str | Mapping):
        return len(value) == 0
    raise TypeError(f"`is empty` needs a list, a string or an object, found {show(value)}")


def count(value: object) -> object:
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return 0
    if isinstance(value, list | tuple | str | Mapping):
        return len(value)
    raise TypeError(f"`count` needs a list, found {show(value)}")


def score_table(classifiers: object) -> object:
    """Every label's highest `ok` score in one pass: {label: score or TypeError}, or UNKNOWN, None, TypeError.

    A classifier list holding something that is not an object fails every label; a score that is not a
    number fails only its own label. `max_score` is a lookup in this table. (The compiled code computes
    the same, for the labels a ruleset names, in a function generated for it: keep the two in step.)
    """
    if classifiers is UNKNOWN or classifiers is None:
        return classifiers
    if not isinstance(classifiers, list | tuple):
        return not_a_classifier_list(classifiers)
    table: dict[object, object] = {}
    for signal in classifiers:
        if not (signal.__class__ is dict or isinstance(signal, Mapping)):
            return not_a_classifier(signal)
    for signal in classifiers:
        if signal.get("status", "ok") != "ok":
            continue
        label = signal.get("label")
        score = signal.get("score")
        if score is None or not isinstance(label, str):
            continue  # a priority-only classifier; a label no `max_score` can ask for
        best = table.get(label)
        if isinstance(best, TypeError):
            continue
        if not is_number(score):
            table[label] = not_a_score(label, score)
        elif best is None or score > best:
            table[label] = score
    return table


def is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def not_a_classifier_list(classifiers: object) -> TypeError:
    return TypeError(f"`classifiers` should be a list, found {show(classifiers)}")


def not_a_classifier(signal: object) -> TypeError:
    return TypeError(f"a classifier signal should be an object, found {show(signal)}")


def not_a_score(label: str, score: object) -> TypeError:
    return TypeError(f"the `score` of a `{label}` signal should be a number, found {show(score)}")


def max_score(classifiers: object, label: object) -> object:
    """The highest `score` of the `ok` classifier signals with `label`; absent if there is none."""
    if label is UNKNOWN:
        return UNKNOWN
    if not isinstance(label, str):
        raise TypeError(f"`max_score` needs a label string, found {show(label)}")
    table = score_table(classifiers)
    found = table.get(label) if isinstance(table, dict) else table
    if isinstance(found, TypeError):
        raise TypeError(*found.args)
    return found


JSON_VALUE_DEPTH = 32


def json_value(value: object, depth: int = JSON_VALUE_DEPTH) -> object:
    """A value as plain JSON data, for explanations (anything exotic becomes its repr).

    Event data can nest arbitrarily deep; an explanation shows `JSON_VALUE_DEPTH` levels and then `"..."`.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if value is UNKNOWN:
        return None
    if depth <= 0:
        return "..."
    if isinstance(value, list | tuple):
        return [json_value(v, depth - 1) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_value(v, depth - 1) for k, v in value.items()}
    return repr(value)
