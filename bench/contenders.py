"""The engines the five-rule benchmark runs side by side, behind one small interface.

A contender compiles the five rules once, then decides events: `evaluate` takes the event dict (any
conversion to the engine's own input included), and an engine that separates conversion also offers
`convert` + `run`, so the engine's own cost can be timed alone. `fired` reads the rule names that fired
out of a result; it is used by the agreement check, never timed. Other engines are imported by name, so
one that is not installed is reported as skipped and mypy needs none of them.
"""

from __future__ import annotations

import importlib
import importlib.util
import platform
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

from ruleward.bench import handwritten

FIVE_RULES: Final = Path(__file__).parent / "rulesets" / "five_rules.rw"

Event = Mapping[str, object]


class Contender(ABC):
    """One engine deciding the five benchmark rules."""

    key: ClassVar[str]  # short name for the command line and the registry
    label: ClassVar[str]  # name in tables
    module: ClassVar[str | None] = None  # import name of the engine's package, None if always present
    distribution: ClassVar[str | None] = None  # what `pip install` calls it
    separates_conversion: ClassVar[bool] = False
    encoding: ClassVar[str] = ""  # how the rules are written for it, for the report

    @classmethod
    def available(cls) -> bool:
        return cls.module is None or importlib.util.find_spec(cls.module) is not None

    @classmethod
    def preload(cls) -> None:
        """Import the engine's package, so that a measurement can leave the import out."""
        if cls.module is not None:
            importlib.import_module(cls.module)

    @classmethod
    def version(cls) -> str:
        if cls.distribution is None:
            return ""
        from importlib import metadata

        try:
            return f"{cls.distribution} {metadata.version(cls.distribution)}"
        except metadata.PackageNotFoundError:
            return ""

    @abstractmethod
    def compile(self) -> None:
        """Build the engine's compiled form of the five rules (timed as the compile step)."""

    @abstractmethod
    def evaluate(self, event: Event) -> object:
        """Decide one event given as a dict; conversion to the engine's input included."""

    def entry_point(self) -> Callable[[Event], object]:
        """What timing calls: `evaluate`, or the engine's own function where it takes the dict as is,
        so that no adapter frame is counted against it."""
        return self.evaluate

    def convert(self, event: Event) -> object:
        """The engine's own input for `event` (engines that separate conversion)."""
        return event

    def run(self, native: object) -> object:
        """Decide one converted event (engines that separate conversion)."""
        return self.evaluate(native)  # type: ignore[arg-type]

    @abstractmethod
    def fired(self, result: object) -> frozenset[str]:
        """The names of the rules that fired, read from a result of `evaluate` or `run`."""

    def decision_parts(self, result: object) -> tuple[str, str] | None:
        """(disposition, account action) for engines that make a whole decision, else None."""
        return None


def _import(name: str) -> Any:
    return importlib.import_module(name)


class HandWritten(Contender):
    key = "python"
    label = "hand-written Python"
    encoding = "a Python function over the dict, decision combined in plain code (ruleward.bench.handwritten)"

    @classmethod
    def version(cls) -> str:
        return f"{platform.python_implementation()} {platform.python_version()}"

    def compile(self) -> None:
        pass

    def evaluate(self, event: Event) -> object:
        return handwritten.decide(event)

    def entry_point(self) -> Callable[[Event], object]:
        return handwritten.decide

    def fired(self, result: object) -> frozenset[str]:
        assert isinstance(result, handwritten.HandDecision)
        return frozenset(result.fired)

    def decision_parts(self, result: object) -> tuple[str, str] | None:
        assert isinstance(result, handwritten.HandDecision)
        return (result.disposition, result.account_action)


class Ruleward(Contender):
    key = "ruleward"
    label = "ruleward"
    module = "ruleward.engine"
    distribution = "ruleward"
    encoding = "bench/rulesets/five_rules.rw; a full Decision per event (disposition, account, obligations)"
    validate: ClassVar[bool] = False

    def __init__(self) -> None:
        self._evaluate: Callable[[Event], object] | None = None

    def compile(self) -> None:
        from ruleward.engine import Engine

        engine = Engine.load(FIVE_RULES, validate=self.validate)
        self._evaluate = engine.evaluate

    def evaluate(self, event: Event) -> object:
        return self.entry_point()(event)

    def entry_point(self) -> Callable[[Event], object]:
        assert self._evaluate is not None, "compile() first"
        return self._evaluate

    def fired(self, result: object) -> frozenset[str]:
        return frozenset(str(entry.rule) for entry in getattr(result, "matched", ()))

    def decision_parts(self, result: object) -> tuple[str, str] | None:
        record: Any = result
        account = record.account_action
        return (_name(record.disposition), _name(getattr(account, "kind", account)))


class RulewardValidated(Ruleward):
    key = "ruleward-validated"
    label = "ruleward, validate=True"
    encoding = "as ruleward, with `validate=True`: each dict is validated as a ModerationEvent first"
    validate = True


def _name(value: object) -> str:
    # enums of the engine render by value; plain strings stay as they are
    return str(getattr(value, "value", value))


def registry() -> dict[str, type[Contender]]:
    """Every contender by key, in the order tables list them."""
    from ruleward.bench.rival_cedar import Cedar
    from ruleward.bench.rival_cel import Cel
    from ruleward.bench.rival_jsonlogic import JsonLogic
    from ruleward.bench.rival_rego import Rego

    kinds: list[type[Contender]] = [HandWritten, Ruleward, RulewardValidated, Cedar, Rego, Cel, JsonLogic]
    return {kind.key: kind for kind in kinds}


__all__ = ["FIVE_RULES", "Contender", "HandWritten", "Ruleward", "RulewardValidated", "registry"]
