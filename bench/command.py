"""`ruleward bench`: run the benchmark workloads, print the tables and targets, write the report.

Exit codes: 0 the run completed (missed targets are findings, not failures); 1 an engine disagreed with
the hand-written function, so nothing it timed would mean anything; 2 bad usage or a workload that could
not run (the others still run and are reported).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.markup import escape

from ruleward.bench import batch, compare, compile_time, engine_runs, tracing_cost
from ruleward.bench.agreement import Disagreement
from ruleward.bench.config import BenchConfig
from ruleward.bench.contenders import Event
from ruleward.bench.corpus import make_corpus
from ruleward.bench.report import BenchReport, Section, print_section, print_targets, to_markdown
from ruleward.bench.timing import timer_cost_ns

Runner = Callable[[Sequence[Event], BenchConfig], Section]

WORKLOADS: Final[dict[str, Runner]] = {
    "compare": compare.run,
    "default": engine_runs.run_default,
    "scaling": engine_runs.run_scaling,
    "compile": lambda corpus, config: compile_time.run(config),
    "tracing": tracing_cost.run,
    "batch": lambda corpus, config: batch.run(config),
}


def _method(config: BenchConfig) -> list[str]:
    return [
        f"corpus: {config.corpus_size:,} schema-valid events from `ruleward.bench.corpus` "
        f"(seed {config.seed}); about half fire one of the five rules; every hash and identifier is "
        "synthetic random hex",
        "per-call times: `time.perf_counter_ns` around each call, less the timer's own cost "
        f"({timer_cost_ns()} ns here); the garbage collector is run before and kept out of each timed pass",
        "subjects take turns round by round on the same block of events, in rotating order, so machine "
        "noise hits them alike; medians and paired ratios are quoted, p99 for the tail",
        "a target's verdict uses the median; a missed target comes with a cProfile summary (cProfile "
        "inflates small Python functions: the shares say where to look)",
    ]


def run_suite(
    config: BenchConfig,
    workloads: Sequence[str] | None = None,
    output: Path | None = None,
    console: Console | None = None,
) -> int:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=140)  # a log or a pipe: wide enough that the tables do not wrap
    names = list(workloads) if workloads else list(WORKLOADS)
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        console.print(
            f"[bold red]error:[/] unknown workload `{escape(', '.join(unknown))}`; "
            f"choose from {', '.join(WORKLOADS)}"
        )
        return 2
    report = BenchReport(quick=config.quick)
    corpus = make_corpus(config.corpus_size, config.seed)
    status = 0
    for name in names:
        console.print(f"[dim]running {name}…[/dim]")
        started = time.perf_counter()
        try:
            section = WORKLOADS[name](corpus, config)
        except Disagreement as disagreement:
            report.failure = str(disagreement)
            console.print(f"[bold red]error:[/] {escape(str(disagreement))}")
            console.print("the engines must agree before any timing means something; the run stops here")
            status = 1
            break
        except Exception as error:  # one broken workload must not hide the others' figures
            message = f"workload `{name}` could not run: {type(error).__name__}: {error}"
            console.print(f"[bold red]error:[/] {escape(message)}")
            report.sections.append(Section(name, f"{name} (failed)", method=[message]))
            status = 2
            continue
        report.sections.append(section)
        print_section(console, section)
        console.print(f"[dim]{name}: {time.perf_counter() - started:.1f} s[/dim]")
    report.load_after = os.getloadavg()
    print_targets(console, report)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(to_markdown(report, _method(config)), encoding="utf-8")
        console.print(f"wrote {escape(str(output))}")
    return status


def run_bench(workloads: list[str] | None, quick: bool, output: Path | None) -> int:
    """Run the named workloads (all when None); `quick` for a CI smoke run; write the report to `output`."""
    return run_suite(BenchConfig.make(quick), workloads, output)


__all__ = ["WORKLOADS", "run_bench", "run_suite"]
