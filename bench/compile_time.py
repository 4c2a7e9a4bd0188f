"""Workload 4: how long a ruleset takes to load, phase by phase: parse, check, compile.

Parse is `ruleward.dsl.loader.load`, check is `ruleward.dsl.checker.check` against `ModerationEvent`,
compile is `ruleward.engine.compiler.compile_ruleset` on the checked ruleset; `Engine.load`, which does
all three, is timed whole as well. The lark parser is built before the first timing, so the figures are
per ruleset, not the one-time cost of building the grammar.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

from ruleward.bench.config import BenchConfig
from ruleward.bench.contenders import FIVE_RULES
from ruleward.bench.generate import write_ruleset
from ruleward.bench.profiling import profile_call
from ruleward.bench.report import Section, Table, Target, fmt_ms
from ruleward.bench.timing import median, timed

TARGET_COMPILE_MS = 100.0


def _shipped(name: str) -> Path:
    return Path(str(resources.files("ruleward.rulesets") / name))


def _phases(path: Path, repeats: int) -> tuple[float, float, float, float, int]:
    """Median parse, check, compile and `Engine.load` milliseconds, and the rule count."""
    from ruleward.dsl.checker import check
    from ruleward.dsl.loader import load
    from ruleward.engine import Engine
    from ruleward.engine.compiler import compile_ruleset
    from ruleward.engine.events import ModerationEvent

    parse_ms, check_ms, compile_ms, total_ms = [], [], [], []
    rules = 0
    for _ in range(repeats):
        loaded, seconds = timed(lambda: load([path]))
        parse_ms.append(seconds * 1000)
        rules = len(loaded.ruleset.rules)
        checked, seconds = timed(lambda: check(loaded, ModerationEvent))  # noqa: B023 - called at once
        check_ms.append(seconds * 1000)
        _, seconds = timed(lambda: compile_ruleset(checked))  # noqa: B023 - called at once
        compile_ms.append(seconds * 1000)
        _, seconds = timed(lambda: Engine.load(path))
        total_ms.append(seconds * 1000)
    return median(parse_ms), median(check_ms), median(compile_ms), median(total_ms), rules


def run(config: BenchConfig) -> Section:
    from ruleward.dsl.loader import load_text

    load_text("ruleset warm_up")  # build the lark parser once, outside every timing
    table = Table(
        "Load time by phase (median)", ["ruleset", "rules", "parse", "check", "compile", "Engine.load"]
    )
    totals: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="ruleward-bench-") as folder:
        paths = [("five_rules", FIVE_RULES), ("child_safety", _shipped("child_safety"))]
        paths += [(f"generated {size}", write_ruleset(Path(folder), size)) for size in config.scaling_sizes]
        generated_1000 = next((p for name, p in paths if name == "generated 1000"), None)
        for name, path in paths:
            parse, checking, compiling, total, rules = _phases(path, config.compile_repeats)
            table.rows.append(
                [name, str(rules), fmt_ms(parse), fmt_ms(checking), fmt_ms(compiling), fmt_ms(total)]
            )
            if name.startswith("generated"):
                totals[rules] = total
        table.notes.append("Engine.load: parse, check and compile in one call, as a host loads a ruleset")
        target = Target(
            "compile 1000 rules (Engine.load: parse + check + compile)",
            f"<= {TARGET_COMPILE_MS:g} ms",
            "",
            None,
        )
        if 1000 in totals and generated_1000 is not None:
            row = next(r for r in table.rows if r[0] == "generated 1000")
            target.measured = f"{fmt_ms(totals[1000])} (parse {row[2]}, check {row[3]}, compile {row[4]})"
            target.passed = totals[1000] <= TARGET_COMPILE_MS
            if not target.passed:
                from ruleward.engine import Engine

                path_1000 = generated_1000
                target.profile = profile_call(lambda: Engine.load(path_1000))
        else:
            target.measured = "not run (quick)"
    return Section(
        "compile",
        "Compile time",
        method=[
            f"median of {config.compile_repeats} loads per ruleset, each phase timed on its own",
            "parse: ruleward.dsl.loader.load; check: ruleward.dsl.checker.check(loaded, ModerationEvent); "
            "compile: ruleward.engine.compiler.compile_ruleset(checked); Engine.load timed whole",
            "the parser remembers, per process, how the grammar reduces each shape of declaration it has met "
            "(a few per generated file, worked out on its first rules), so only the first parse of a shape "
            "works it out",
        ],
        tables=[table],
        targets=[target],
    )


__all__ = ["run"]
