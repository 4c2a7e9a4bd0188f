"""The spelling of single tokens: names, numbers, strings and JSON keys, so that each re-parses to itself.

The grammar has no exponent notation and only the escapes `\\\\ \\" \\n \\t \\/ \\uXXXX`, so numbers print
as plain decimals and every other character that is not printable prints as a `\\u` escape.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ruleward.dsl.nodes import Scalar

# a decimal this long is past the largest float, so it parses back to infinity (which a parse can produce
# from an over-long literal, and which has no spelling of its own)
_INFINITY = "1" + "0" * 309 + ".0"


class UnprintableError(ValueError):
    """An AST that no source text parses to (a name that is not a name, a negative number in a list...)."""


# names already checked: a ruleset prints the same few field and action names thousands of times
_NAMES: set[str] = set()
_NAMES_KEPT = 4096


def name(text: str) -> str:
    if text in _NAMES:
        return text
    if not is_name(text):
        raise UnprintableError(f"`{text}` is not a name")
    if len(_NAMES) >= _NAMES_KEPT:
        _NAMES.clear()
    _NAMES.add(text)
    return text


def is_name(text: str) -> bool:
    # `[A-Za-z_][A-Za-z0-9_]*`, which is exactly an ASCII identifier: these two string methods are quicker
    # than a regular expression, and every name is checked as it is printed
    return text.isascii() and text.isidentifier()


def number(value: int | float) -> str:
    """A non-negative number; ints stay ints and floats keep a decimal point."""
    if type(value) is float and 0.0 < value < math.inf:  # the usual case first: not zero, NaN or infinite
        text = repr(value)
        return text if "e" not in text else _decimal(text)
    if isinstance(value, bool) or value < 0:
        raise UnprintableError(f"`{value!r}` is not a non-negative number")
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        raise UnprintableError("NaN has no spelling in the language")
    if math.isinf(value):
        return _INFINITY
    text = repr(value)
    return text if "e" not in text else _decimal(text)


def _decimal(text: str) -> str:
    """`1e-07` as `0.0000001`: the grammar has no exponents."""
    text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def string(value: str) -> str:
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    out = ['"']
    for char in value:
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(_escape(char))
    out.append('"')
    return "".join(out)


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def scalar(value: Scalar, *, negative: bool) -> str:
    """A literal; `negative` says whether the place it stands admits `-N` (lists, JSON and args do not)."""
    if type(value) is str:
        return string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return string(value)
    if value < 0:
        if not negative:
            raise UnprintableError(f"a negative number (`{value!r}`) cannot stand here")
        return "-" + number(-value)
    return number(value if value != 0 else abs(value))


def json_key(key: str) -> str:
    # a bare key is never taken for a keyword: after `{` or `,` the parser expects only a key
    return key if is_name(key) else string(key)
