"""Workload 6: `ruleward eval --format json` over a large JSON Lines file, end to end.

End to end means what a user runs: a new Python process starts, imports, loads the default ruleset,
reads and parses every line, validates each event (the command's default) and decides it, writes one JSON
decision per line. One process over the whole file (`--jobs 1`), then the same command with one worker
per core (`--jobs N`: the command forks its workers and writes their decisions in input order). The
start-up of a process that decides a single event is timed too, since it is part of every figure. Each run
must exit 0 and write one decision per event. Then the cost of each stage per event on one core
(`batch_stages`): what would have to shrink for the target to be reached.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruleward.bench import batch_stages
from ruleward.bench.config import BenchConfig
from ruleward.bench.corpus import write_jsonl
from ruleward.bench.engine_runs import DEFAULT_RULESET
from ruleward.bench.profiling import summarize_file
from ruleward.bench.report import Section, Table, Target, fmt_ms, fmt_rate, fmt_us

TARGET_EVENTS_PER_SECOND = 300_000
RUNS_EACH = 2  # runs of each command; the best counts (other work on the machine only ever slows a run)
STAGE_EVENTS = 10_000  # events in the sample the stages are timed on
STAGE_ROUNDS = 7


class BatchFailed(RuntimeError):
    pass


def eval_command(events: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ruleward.engine",
        "eval",
        DEFAULT_RULESET,
        str(events),
        "--format",
        "json",
        *extra,
    ]


def _run(events: Path, folder: Path, expected: int, *extra: str) -> float:
    """Run `ruleward eval` over `events`; the wall time from start to exit."""
    output = folder / f"{events.stem}.decisions.jsonl"
    with output.open("wb") as handle:
        start = time.perf_counter()
        process = subprocess.run(eval_command(events, *extra), stdout=handle, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise BatchFailed(
            f"`ruleward eval` exited {process.returncode}: {process.stderr.decode(errors='replace')[-2000:]}"
        )
    decided = _count_lines(output)
    if decided != expected:
        raise BatchFailed(f"`ruleward eval` wrote {decided} decisions for {expected} events")
    return elapsed


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in stream)


def _profile(chunk: Path, folder: Path) -> str:
    out = folder / "eval.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), *eval_command(chunk, "--jobs", "1")[1:]]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return summarize_file(out)


def run(config: BenchConfig) -> Section:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    table = Table(
        f"`ruleward eval {DEFAULT_RULESET} EVENTS.jsonl --format json`, {config.batch_events:,} events",
        ["run", "processes", "wall time", "events/s"],
    )
    with tempfile.TemporaryDirectory(prefix="ruleward-bench-") as name:
        folder = Path(name)
        source = folder / "events.jsonl"
        size = write_jsonl(source, config.batch_events, config.seed)
        single_event = folder / "one.jsonl"
        write_jsonl(single_event, 1, config.seed)
        every = ("--jobs", str(cores))
        runs: list[tuple[str, int, tuple[str, ...]]] = [("all cores", cores, every)]
        if not config.quick:  # each process takes a while to start: the smoke run starts as few as it can
            runs.insert(0, ("one process", 1, ("--jobs", "1")))
            runs.append(("all cores, --no-validate", cores, (*every, "--no-validate")))
        rates: dict[str, float] = {}
        repeats = 1 if config.quick else RUNS_EACH
        for label, processes, extra in runs:
            seconds = min(_run(source, folder, config.batch_events, *extra) for _ in range(repeats))
            rates[label] = config.batch_events / seconds
            table.rows.append([label, str(processes), fmt_ms(seconds * 1000), fmt_rate(rates[label])])
        startup = float("nan")
        if not config.quick:
            startup = min(_run(single_event, folder, 1) for _ in range(3))
            table.rows.append(["start-up: one process, one event", "1", fmt_ms(startup * 1000), "–"])
        table.notes.append(
            f"input {size / 2**20:,.1f} MiB of JSON Lines; output written to files in a temp dir; "
            f"the best of {repeats} run{'s' if repeats != 1 else ''} each"
        )
        sample = folder / "sample.jsonl"
        write_jsonl(sample, min(config.batch_events, STAGE_EVENTS), config.seed)
        rounds = 2 if config.quick else STAGE_ROUNDS
        breakdown = batch_stages.measure(sample, rounds, DEFAULT_RULESET)
        stages = _stage_table(breakdown, cores, startup, config)
        rate = rates["all cores"]
        target = Target(
            "batch, all cores (`ruleward eval --format json`)",
            f">= {TARGET_EVENTS_PER_SECOND:,} events/s",
            f"{fmt_rate(rate)} on {cores} cores"
            + (f" (one process {fmt_rate(rates['one process'])})" if "one process" in rates else ""),
            rate >= TARGET_EVENTS_PER_SECOND,
        )
        if not target.passed and not config.quick:  # one more process start: too slow for a smoke run
            profiled = folder / "profile.jsonl"
            write_jsonl(profiled, min(config.batch_events, 5 * config.profile_events), config.seed)
            target.profile = _profile(profiled, folder)
    return Section(
        "batch",
        "Batch evaluation",
        method=[
            f"{config.batch_events:,} events of the seeded corpus generator written as JSON Lines",
            "one process: `--jobs 1`; all cores: `--jobs N`, one command whose N forked workers decide "
            "blocks of lines while it writes their decisions in input order; wall time from start to exit",
            "every run must exit 0 and write exactly one decision line per event",
            f"where the time goes: {breakdown.events:,} events, each stage timed in the pipeline as the "
            f"command runs it, median of {rounds} interleaved rounds "
            "(`ruleward.bench.batch_stages`)",
        ],
        tables=[table, stages],
        targets=[target],
    )


def _stage_table(breakdown: batch_stages.Breakdown, cores: int, startup: float, config: BenchConfig) -> Table:
    table = Table("Where the time goes: one event on one core", ["stage", "per event", "share", "what"])
    total = breakdown.total or 1e-9
    for name, what in batch_stages.STAGES:
        micros = breakdown.micros[name]
        table.rows.append([name, fmt_us(micros), f"{micros / total:.0%}", what])
    table.rows.append(["total", fmt_us(breakdown.total), "100%", f"{1e6 / total:,.0f} events/s per core"])
    budget = 1e6 * cores / TARGET_EVENTS_PER_SECOND
    table.notes.append(
        f"{TARGET_EVENTS_PER_SECOND:,} events/s on {cores} cores leaves {budget:.1f} µs per event per core, "
        "before the start-up"
        + (
            f" ({startup:.2f} s here, {startup * TARGET_EVENTS_PER_SECOND / config.batch_events:.0%} "
            f"of the whole budget for {config.batch_events:,} events)"
            if not math.isnan(startup)
            else ""
        )
    )
    return table


__all__ = ["BatchFailed", "eval_command", "run"]
