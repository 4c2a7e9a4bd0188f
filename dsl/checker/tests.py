"""Tests and invariants: expectations that name real outcomes and rules, events that fit the schema,
and invariants that say what must always hold.

A test's event is its `given` merged over the `base event` (objects key by key, lists replaced). Its keys
and values are checked against the event type with precise spans; when they fit, the merged event is also
validated by the schema itself, so a test cannot fail later only because its event is malformed.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ruleward.dsl import nodes as n
from ruleward.dsl import types as t
from ruleward.dsl.checker.actions import check_action
from ruleward.dsl.checker.context import Context, SiteIndex, listing, suggestion, where
from ruleward.dsl.diagnostics import DiagnosticCode
from ruleward.dsl.source import Span
from ruleward.dsl.symbols import DECISION_ROOT
from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, ACTIONS, DISPOSITIONS

BAD_EXPECTATION = DiagnosticCode(
    "E132", "unknown-outcome", "an expected disposition, account action or obligation that does not exist"
)
UNKNOWN_RULE = DiagnosticCode("E133", "unknown-rule", "an expectation naming a rule that does not exist")
UNKNOWN_EVENT_FIELD = DiagnosticCode(
    "E134", "unknown-event-field", "a `given` or `base event` key not in the schema"
)
BAD_EVENT_VALUE = DiagnosticCode(
    "E135", "bad-event-value", "a `given` or `base event` value of the wrong type"
)
INVALID_EVENT = DiagnosticCode("E136", "invalid-test-event", "a test's event that the schema rejects")
MISSING_ALWAYS = DiagnosticCode("E137", "missing-always", "an invariant without an `always` clause")
CONTRADICTORY_EXPECTATIONS = DiagnosticCode(
    "E138", "contradictory-expectations", "expectations of one test that cannot all hold"
)
DUPLICATE_BASE_EVENT = DiagnosticCode("E139", "duplicate-base-event", "more than one `base event`")
EMPTY_TEST = DiagnosticCode("W113", "test-without-expectations", "a test that expects nothing")
ALWAYS_IGNORES_DECISION = DiagnosticCode(
    "W114", "invariant-ignores-decision", "an invariant whose `always` never reads `decision`"
)

MAX_EVENT_ERRORS = 3
_STATE = {"fired": "to fire", "not fired": "not to fire", "error": "to error"}


def run(ctx: Context) -> None:
    bases = [d for d in ctx.declarations if isinstance(d, n.BaseEvent)]
    for extra in bases[1:]:
        ctx.emit(
            DUPLICATE_BASE_EVENT.at(
                _keyword_span(extra),
                "a second `base event`",
                "a ruleset has one base event; tests change it with `given`",
            ),
            f"the first is at {where(bases[0].span)}",
        )
    base = bases[0] if bases else None
    base_ok = base is None or _check_object(ctx, base.value, ctx.event)
    tests = ctx.declared_as(n.Test)
    for test in tests:
        _expectations(ctx, test)
        given_ok = test.given is None or _check_object(ctx, test.given, ctx.event)
        if base_ok and given_ok:
            _validate_event(ctx, test, base)
    if base is not None and base_ok and not tests:
        _validate_event(ctx, None, base)
    for invariant in ctx.declared_as(n.Invariant):
        _invariant(ctx, invariant)


def _keyword_span(node: n.Node) -> Span:
    s = node.span
    return Span(s.file, s.line, s.column, s.line, s.column + 4, s.start, s.start + 4)


# ---- expectations -----------------------------------------------------------------------------------------


def _expectations(ctx: Context, test: n.Test) -> None:
    if not test.expectations:
        ctx.emit(
            EMPTY_TEST.at(
                test.name_span,
                f"test `{test.name}` expects nothing",
                "add e.g. `expect disposition block` or `expect fired some_rule`",
            )
        )
    seen_outcome: dict[type, n.Ident] = {}
    fired: dict[str, tuple[str, n.Ident]] = {}
    obligations: list[n.ExpectObligation] = []
    for expectation in test.expectations:
        if isinstance(expectation, n.ExpectDisposition | n.ExpectAccount):
            if _outcome(ctx, expectation):
                _one_outcome(ctx, test, seen_outcome, expectation)
        elif isinstance(expectation, n.ExpectObligation):
            _obligation(ctx, expectation)
            for other in obligations:
                if other.action == expectation.action and other.present != expectation.present:
                    now, earlier = ctx.text(expectation.span), ctx.text(other.span)
                    _contradiction(ctx, test, expectation.span, f"`{now}`", other.span, f"`{earlier}`")
            obligations.append(expectation)
        else:
            state = (
                "error"
                if isinstance(expectation, n.ExpectError)
                else ("fired" if expectation.fired else "not fired")
            )
            for ident in expectation.rules:
                if not _known_rule(ctx, ident):
                    continue
                previous = fired.setdefault(ident.name, (state, ident))
                if previous[0] != state:
                    now, earlier = f"`{ident.name}` {_STATE[state]}", _STATE[previous[0]]
                    _contradiction(ctx, test, ident.span, now, previous[1].span, earlier)


def _outcome(ctx: Context, expectation: n.ExpectDisposition | n.ExpectAccount) -> bool:
    value = expectation.value
    if isinstance(expectation, n.ExpectDisposition):
        allowed, what, other, other_word = DISPOSITIONS, "disposition", ACCOUNT_ACTIONS, "account"
    else:
        allowed, what, other, other_word = ACCOUNT_ACTIONS, "account action", DISPOSITIONS, "disposition"
    if value.name in allowed:
        return True
    hint: str | None
    if value.name in other:
        article = "an account action" if other_word == "account" else "a disposition"
        hint = f"`{value.name}` is {article}: write `expect {other_word} {value.name}`"
    elif value.name in ACTIONS:
        hint = f"`{value.name}` is an obligation: write `expect obligation {value.name}`"
    else:
        hint = suggestion(value.name, allowed, f"the {what}s are {listing(allowed)}")
    ctx.emit(BAD_EXPECTATION.at(value.span, f"`{value.name}` is not a {what}", hint))
    return False


def _one_outcome(
    ctx: Context, test: n.Test, seen: dict[type, n.Ident], expectation: n.ExpectDisposition | n.ExpectAccount
) -> None:
    first = seen.setdefault(type(expectation), expectation.value)
    if first is not expectation.value and first.name != expectation.value.name:
        word = "disposition" if isinstance(expectation, n.ExpectDisposition) else "account action"
        _contradiction(
            ctx,
            test,
            expectation.value.span,
            f"{word} `{expectation.value.name}`",
            first.span,
            f"`{first.name}`",
        )


def _contradiction(
    ctx: Context, test: n.Test, span: Span, now: str, earlier_span: Span, earlier: str
) -> None:
    ctx.emit(
        CONTRADICTORY_EXPECTATIONS.at(
            span,
            f"test `{test.name}` expects {now}, and also {earlier}",
            "a decision has one disposition and one account action, and a rule fires, does not fire or "
            "errors: keep the expectation you mean",
        ),
        f"the other expectation is at {where(earlier_span)}",
    )


def _obligation(ctx: Context, expectation: n.ExpectObligation) -> None:
    action = expectation.action
    spec = check_action(ctx, action, required=False, categories=("obligation",))
    if spec is None or spec.category == "obligation":
        return
    word = "disposition" if spec.category == "disposition" else "account"
    ctx.emit(
        BAD_EXPECTATION.at(
            action.span,
            f"`{action.name}` is not an obligation",
            f"`{action.name}` is {'a disposition' if word == 'disposition' else 'an account action'}: write "
            f"`expect {word} {action.name}`",
        )
    )


def _known_rule(ctx: Context, ident: n.Ident) -> bool:
    if ident.name in ctx.symbols.rules:
        return True
    if not ctx.complete:
        return False
    kind = ctx.symbols.resolve(ident.name)
    hint = (
        f"`{ident.name}` is a {kind}; only rules fire"
        if kind in ("condition", "constant", "list")
        else suggestion(ident.name, ctx.symbols.rules, "name a rule of this ruleset")
    )
    ctx.emit(UNKNOWN_RULE.at(ident.span, f"there is no rule `{ident.name}`", hint))
    return False


# ---- events -----------------------------------------------------------------------------------------------


def _check_object(ctx: Context, obj: n.JsonObject, ty: t.ObjectType | t.MapType) -> bool:
    ok = True
    keys: dict[str, n.JsonPair] = {}
    for pair in obj.pairs:
        key_span = _key_span(ctx, pair)
        if pair.key in keys:
            ctx.emit(
                BAD_EVENT_VALUE.at(key_span, f"`{pair.key}` is given twice", "give each key once"),
                f"first given at {where(keys[pair.key].span)}",
            )
            ok = False
            continue
        keys[pair.key] = pair
        if isinstance(ty, t.MapType):
            ok = _check_value(ctx, pair.value, ty.value, False, pair.key) and ok
            continue
        found = ty.get(pair.key)
        if found is None:
            ctx.emit(
                UNKNOWN_EVENT_FIELD.at(
                    key_span,
                    f"`{ty.name}` has no field `{pair.key}`",
                    suggestion(pair.key, ty.fields, f"its fields are {listing(ty.fields, 12)}"),
                )
            )
            ok = False
            continue
        ok = _check_value(ctx, pair.value, found.type, found.optional, pair.key) and ok
    return ok


def _check_value(ctx: Context, value: n.JsonValue, ty: t.Type, optional: bool, key: str) -> bool:
    if isinstance(value, n.Null):
        if optional or t.is_any(ty):
            return True
        return _bad(ctx, value, f"`{key}` cannot be null", f"give {t.describe(ty)}")
    if isinstance(ty, t.AnyType):
        return True
    if isinstance(ty, t.UnionType):
        if any(_fits(value, o) for o in ty.options):
            return True
        return _bad(
            ctx, value, f"`{key}` is {t.describe(ty)}, not {_json_kind(value)}", "give a value of that type"
        )
    if isinstance(ty, t.ObjectType | t.MapType):
        if not isinstance(value, n.JsonObject):
            return _bad(
                ctx, value, f"`{key}` is {t.describe(ty)}, not {_json_kind(value)}", "write `{ ... }`"
            )
        return _check_object(ctx, value, ty)
    if isinstance(ty, t.ListType):
        if not isinstance(value, n.JsonArray):
            return _bad(
                ctx, value, f"`{key}` is {t.describe(ty)}, not {_json_kind(value)}", "write `[ ... ]`"
            )
        ok = True
        for item in value.items:
            ok = _check_value(ctx, item, ty.element, False, f"{key}[]") and ok
        return ok
    if not _fits(value, ty):
        return _bad(
            ctx, value, f"`{key}` is {t.describe(ty)}, not {_json_kind(value)}", _value_hint(value, ty)
        )
    if isinstance(value, n.Literal) and isinstance(ty, t.StringType) and ty.values is not None:
        if value.value not in ty.values:
            return _bad(
                ctx,
                value,
                f'`{key}` is never "{value.value}"',
                suggestion(str(value.value), ty.values, f"its values are {listing(ty.values, 10)}"),
            )
    if isinstance(value, n.Literal) and isinstance(ty, t.NumberType):
        number = value.value
        assert isinstance(number, int | float)
        if (ty.minimum is not None and number < ty.minimum) or (
            ty.maximum is not None and number > ty.maximum
        ):
            return _bad(ctx, value, f"`{key}` is out of range: `{number}`", f"it is {_range(ty)}")
    return True


def _fits(value: n.JsonValue, ty: t.Type) -> bool:
    """A shallow test: the JSON kind of `value` is what `ty` holds."""
    if isinstance(ty, t.AnyType):
        return True
    if isinstance(ty, t.UnionType):
        return any(_fits(value, o) for o in ty.options)
    if isinstance(ty, t.ObjectType | t.MapType):
        return isinstance(value, n.JsonObject)
    if isinstance(ty, t.ListType):
        return isinstance(value, n.JsonArray)
    if not isinstance(value, n.Literal):
        return False
    v = value.value
    if isinstance(ty, t.BoolType):
        return isinstance(v, bool)
    if isinstance(ty, t.NumberType):
        return (
            isinstance(v, int | float) and not isinstance(v, bool) and (not ty.integer or isinstance(v, int))
        )
    return isinstance(v, str)  # strings and timestamps


def _range(ty: t.NumberType) -> str:
    low = f"{ty.minimum:g}" if ty.minimum is not None else None
    high = f"{ty.maximum:g}" if ty.maximum is not None else None
    if low and high:
        return f"from {low} to {high}"
    return f"at least {low}" if low else f"at most {high}"


def _value_hint(value: n.JsonValue, ty: t.Type) -> str:
    if isinstance(value, n.Literal) and isinstance(value.value, str) and t.is_number(ty):
        return f"write the number without quotes: `{value.value}`"
    if isinstance(value, n.Literal) and isinstance(value.value, float) and isinstance(ty, t.NumberType):
        return "write a whole number"
    if isinstance(value, n.Literal) and isinstance(ty, t.StringType):
        return f'write it in quotes: `"{value.value}"`'
    return f"give {t.describe(ty)}"


def _json_kind(value: n.JsonValue) -> str:
    if isinstance(value, n.JsonObject):
        return "an object"
    if isinstance(value, n.JsonArray):
        return "a list"
    if isinstance(value, n.Null):
        return "null"
    v = value.value
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, str):
        return f'`"{v}"`'
    return f"`{v}`"


def _bad(ctx: Context, value: n.JsonValue, message: str, hint: str | None) -> bool:
    ctx.emit(BAD_EVENT_VALUE.at(value.span, message, hint))
    return False


def _key_span(ctx: Context, pair: n.JsonPair) -> Span:
    s = pair.span
    source = ctx.sources.get(s.file)
    quoted = source is not None and source.text[s.start : s.start + 1] == '"'
    width = len(pair.key) + (2 if quoted else 0)
    return Span(s.file, s.line, s.column, s.line, s.column + width, s.start, s.start + width)


def to_python(value: n.JsonValue) -> Any:
    """A JSON-like node as plain Python data (the event a test runs on)."""
    if isinstance(value, n.JsonObject):
        return {p.key: to_python(p.value) for p in value.pairs}
    if isinstance(value, n.JsonArray):
        return [to_python(i) for i in value.items]
    if isinstance(value, n.Null):
        return None
    return value.value


def merge(base: Any, given: Any) -> Any:
    """`given` over `base`: objects merged key by key, everything else (lists too) replaced."""
    if isinstance(base, dict) and isinstance(given, dict):
        out = dict(base)
        for key, value in given.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return given


def _validate_event(ctx: Context, test: n.Test | None, base: n.BaseEvent | None) -> None:
    if test is not None and test.given is None and base is None:
        ctx.emit(
            INVALID_EVENT.at(
                test.name_span,
                f"test `{test.name}` has no event",
                "add `given { ... }` to the test, or a `base event { ... }` that tests share",
            )
        )
        return
    data: Any = to_python(base.value) if base is not None else {}
    if test is not None and test.given is not None:
        data = merge(data, to_python(test.given))
    try:
        ctx.schema.model_validate(data)
    except ValidationError as error:
        _report_invalid(ctx, test, base, error)


def _report_invalid(
    ctx: Context, test: n.Test | None, base: n.BaseEvent | None, error: ValidationError
) -> None:
    # missing fields are grouped by the object that lacks them; other errors are reported one by one
    missing: dict[tuple[Any, ...], list[str]] = {}
    others: list[tuple[tuple[Any, ...], str]] = []
    for detail in error.errors():
        loc = tuple(detail.get("loc", ()))
        if detail.get("type") == "missing" and loc:
            missing.setdefault(loc[:-1], []).append(str(loc[-1]))
        else:
            message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
            others.append((loc, message[:1].lower() + message[1:]))
    for parent, names in missing.items():
        span, in_given = _locate(test, base, parent)
        fields = ", ".join(f"`{name}`" for name in names)
        what = f"`{_loc_text(parent)}`" if parent else "the event"
        hint = (
            f"add {fields}, or put them in a `base event {{ ... }}` that tests share"
            if base is None
            else f"add {fields} to the base event"
        )
        _emit_invalid(
            ctx, test, in_given, span, f"{what} lacks the required {_plural(names, 'field')} {fields}", hint
        )
    for loc, message in others[:MAX_EVENT_ERRORS]:
        span, in_given = _locate(test, base, loc)
        _emit_invalid(
            ctx,
            test,
            in_given,
            span,
            f"`{_loc_text(loc) or 'event'}`: {message}",
            "make the event fit the schema",
        )


def _emit_invalid(
    ctx: Context, test: n.Test | None, in_given: bool, span: Span, what: str, hint: str
) -> None:
    owner = f"test `{test.name}`" if test is not None and in_given else "the base event"
    notes = (f"in test `{test.name}`",) if test is not None and not in_given else ()
    ctx.emit(INVALID_EVENT.at(span, f"the event of {owner} is not valid: {what}", hint), *notes)


def _loc_text(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _plural(items: list[str], word: str) -> str:
    return word if len(items) == 1 else f"{word}s"


def _locate(test: n.Test | None, base: n.BaseEvent | None, loc: tuple[Any, ...]) -> tuple[Span, bool]:
    """The deepest node along `loc`, in the test's `given` when it has that path, else the base event."""
    roots: list[tuple[n.JsonObject, bool]] = []
    if test is not None and test.given is not None:
        roots.append((test.given, True))
    if base is not None:
        roots.append((base.value, False))
    best: tuple[int, Span, bool] | None = None
    for root, in_given in roots:
        node: n.JsonValue = root
        depth = 0
        for step in loc:
            child: n.JsonValue | None = None
            if isinstance(node, n.JsonObject) and isinstance(step, str):
                child = next((p.value for p in node.pairs if p.key == step), None)
            elif isinstance(node, n.JsonArray) and isinstance(step, int) and 0 <= step < len(node.items):
                child = node.items[step]
            if child is None:
                break
            node, depth = child, depth + 1
        if best is None or depth > best[0]:
            best = (depth, node.span, in_given)
    if best is None:
        assert test is not None
        return test.name_span, True
    return best[1], best[2]


# ---- invariants -------------------------------------------------------------------------------------------


def _invariant(ctx: Context, invariant: n.Invariant) -> None:
    if invariant.always is None:
        ctx.emit(
            MISSING_ALWAYS.at(
                invariant.name_span,
                f"invariant `{invariant.name}` has no `always`",
                'say what must hold of every decision: `always decision.disposition != "allow"`',
            )
        )
        return
    reads_decision = any(
        node.name == DECISION_ROOT and node.name not in scope
        for node, scope in SiteIndex.of(invariant.always).names
    )
    if not reads_decision and DECISION_ROOT not in ctx.declared:
        ctx.emit(
            ALWAYS_IGNORES_DECISION.at(
                invariant.always.span,
                f"the `always` of invariant `{invariant.name}` never reads `decision`",
                'an invariant constrains the decision: e.g. `always decision.disposition >= "hold"`',
            )
        )
