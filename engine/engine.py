"""The engine a moderation service embeds: load a ruleset once, evaluate events, hot-reload.

    engine = Engine.load("child_safety")
    decision = engine.evaluate(event_dict)

`evaluate` never raises into the host: an event that is not an object, a field of the wrong type, an
invalid event with `validate=True`, even a bug in the engine, each becomes a decision with the ruleset's
fallback applied and the error recorded (`<event>` for the event as a whole, `<engine>` for a bug).

Thread safety: the compiled ruleset is immutable and evaluation keeps its state in locals, so any number
of threads may evaluate at once. `reload` builds and compiles the new ruleset completely, then swaps one
reference; an evaluation uses the ruleset it started with. The only shared mutable state is the cache of
combined outcomes, a dict whose reads and writes are atomic and whose values never change.

Tracing: `tracer` is any callable taking the `Decision` (e.g. `ruleward.engine.tracing.DecisionTracer`);
it is called once per decision after it is built, outside the timed evaluation, and what it raises is
logged, never passed on.
"""

from __future__ import annotations

import logging
import time
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ruleward.dsl.checker import CheckedRuleset
from ruleward.engine import decision as decisions
from ruleward.engine import runtime as rt
from ruleward.engine.compiler import CompiledRuleset, compile_ruleset
from ruleward.engine.decision import ENGINE_RULE, EVENT_RULE, Decision, EvalError
from ruleward.engine.event_dicts import decides_as_it_came
from ruleward.engine.events import ModerationEvent
from ruleward.engine.explain import Explanation, explain
from ruleward.engine.interpreter import Interpreter
from ruleward.engine.ruleset import Plan, Source, load_checked

Tracer = Callable[[Decision], None]

_log = logging.getLogger("ruleward.engine")
_clock = time.perf_counter_ns


class _Loaded:
    """One loaded ruleset: what `reload` swaps as a whole."""

    __slots__ = ("checked", "compiled", "info", "outcomes", "plan", "run", "source")

    def __init__(self, source: Source, checked: CheckedRuleset, compiled: CompiledRuleset) -> None:
        self.source = source
        self.checked = checked
        self.compiled = compiled
        self.plan: Plan = compiled.plan
        # what `evaluate`'s common case reads, one attribute away
        self.run = compiled.run
        self.outcomes = compiled.plan._outcomes
        self.info = compiled.plan.info


class Engine:
    def __init__(
        self, loaded: _Loaded, schema: type[BaseModel] | None, *, validate: bool, tracer: Tracer | None
    ) -> None:
        self._loaded = loaded
        self._schema = schema
        self._validate = validate
        self._tracer = _fast_callable(tracer) if tracer is not None else None

    @classmethod
    def load(
        cls,
        source: Source,
        schema: type[BaseModel] | None = None,
        *,
        validate: bool = False,
        tracer: Tracer | None = None,
    ) -> Engine:
        """Load a ruleset by path, directory, several paths, or shipped name (`"child_safety"`).

        Raises `RulesetError` when the ruleset has errors.
        """
        return cls(_build(source, schema), schema, validate=validate, tracer=tracer)

    # -- what is loaded --

    @property
    def name(self) -> str:
        return self._loaded.plan.info.name

    @property
    def version(self) -> str | None:
        return self._loaded.plan.info.version

    @property
    def digest(self) -> str:
        return self._loaded.plan.info.digest

    @property
    def ruleset(self) -> CheckedRuleset:
        return self._loaded.checked

    @property
    def generated_source(self) -> str:
        """The Python the ruleset compiled to (for `--show-code` and curious readers)."""
        return self._loaded.compiled.source

    def reload(self, source: Source | None = None) -> None:
        """Load `source` (default: the current one again) and swap it in; on error keep the old ruleset."""
        loaded = _build(source if source is not None else self._loaded.source, self._schema)
        self._loaded = loaded  # one reference: evaluations in flight keep the ruleset they started with

    # -- evaluating --

    def evaluate(self, event: Mapping[str, Any] | BaseModel, *, trace_id: str | None = None) -> Decision:
        started = _clock()
        loaded = self._loaded
        try:
            if event.__class__ is dict and not self._validate:
                fired, errors = loaded.run(event)
                outcome = None if errors else loaded.outcomes.get(fired)
                if outcome is not None:
                    # `Plan.decide` for an event without errors whose fired rules were seen before, inlined:
                    # most events, and the call and its arguments are a tenth of a small ruleset's time
                    event_id = event.get("event_id")
                    decision = Decision()
                    decision._outcome = outcome
                    decision._errors = ()
                    decision._event_id = event_id if event_id.__class__ is str else None
                    decision._ruleset = loaded.info
                    decision._id = decisions.next_decision_number()
                    decision.trace_id = trace_id
                    decision._elapsed_us = (_clock() - started + 999) // 1000
                else:
                    decision = loaded.plan.decide(event, fired, errors, started, trace_id=trace_id)
            else:
                data, problems = self._prepare(event, loaded, as_it_came=True)
                if data is None:
                    decision = loaded.plan.decide(
                        None, 0, [], started, event_errors=problems, trace_id=trace_id
                    )
                else:
                    fired, errors = loaded.compiled.run(data)
                    decision = loaded.plan.decide(
                        data, fired, errors, started, event_errors=problems, trace_id=trace_id
                    )
        except Exception as error:  # a bug in the engine: still a decision, and still failing closed
            _log.exception("ruleward engine error")
            problem = EvalError(ENGINE_RULE, f"internal error: {type(error).__name__}: {error}", None)
            decision = loaded.plan.decide(None, 0, [], started, event_errors=[problem], trace_id=trace_id)
        tracer = self._tracer
        if tracer is not None:
            try:  # inline rather than a method: with no SDK the tracer itself is a clock read
                tracer(decision)
            except Exception:
                _log.exception("ruleward tracer failed")
        return decision

    def evaluate_many(self, events: Iterable[Mapping[str, Any] | BaseModel]) -> list[Decision]:
        return [self.evaluate(event) for event in events]

    def interpret(self, event: Mapping[str, Any] | BaseModel) -> Decision:
        """The same decision from the reference interpreter (slow; for tests and cross-checks)."""
        started = time.perf_counter_ns()
        loaded = self._loaded
        data, problems = self._prepare(event, loaded)
        if data is None:
            return loaded.plan.decide(None, 0, [], started, event_errors=problems)
        result = Interpreter(loaded.plan).run(data)
        return loaded.plan.decide(data, result.fired, result.errors, started, event_errors=problems)

    def explain(self, event: Mapping[str, Any] | BaseModel) -> Explanation:
        """Why each rule fired, did not, or failed on this event (computed by the interpreter)."""
        started = time.perf_counter_ns()
        loaded = self._loaded
        data, problems = self._prepare(event, loaded)
        return explain(loaded.plan, data, problems, started)

    # -- helpers --

    def _prepare(
        self, event: object, loaded: _Loaded, *, as_it_came: bool = False
    ) -> tuple[dict[str, object] | None, list[EvalError]]:
        """The event as a dict, and what is wrong with it as a whole (an event error applies the fallback).

        `as_it_came`: a valid event of the default schema may be decided as it arrived (only a decision is
        wanted, not the values an explanation shows), which spares building and dumping its models.
        """
        schema = loaded.checked.schema
        if isinstance(event, BaseModel):
            data = event.model_dump(mode="json")
            if not self._validate or isinstance(event, schema):
                return data, []
        elif isinstance(event, Mapping):
            data = event if event.__class__ is dict else dict(event)
        else:
            return None, [EvalError(EVENT_RULE, f"an event must be an object, found {rt.show(event)}", None)]
        if not self._validate:
            return data, []
        if as_it_came and schema is ModerationEvent and decides_as_it_came(data):
            return data, []
        try:
            model = schema.model_validate(data)
        except ValidationError as error:
            # the rules still run on what arrived: a verified match in a malformed event is still blocked
            return data, [EvalError(EVENT_RULE, _validation_message(error), None)]
        return model.model_dump(mode="json"), []


def _fast_callable(tracer: Tracer) -> Tracer:
    """An instance of a class with a Python `__call__` (like `DecisionTracer`), as its bound `__call__`:
    calling that is a plain method call, calling the instance is a slower slot lookup each time."""
    call = next((vars(k)["__call__"] for k in type(tracer).__mro__ if "__call__" in vars(k)), None)
    if isinstance(call, types.FunctionType):
        return types.MethodType(call, tracer)
    return tracer


def _build(source: Source, schema: type[BaseModel] | None) -> _Loaded:
    checked = load_checked(source, schema)
    return _Loaded(source, checked, compile_ruleset(checked))


def _validation_message(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "event"
        problems.append(f"`{where}`: {item['msg']}")
    more = f" (and {error.error_count() - 3} more)" if error.error_count() > 3 else ""
    return "the event does not match the schema: " + "; ".join(problems) + more


__all__ = ["Engine", "Tracer"]
