"""Workload 6: `ruleward eval --format json` over a large JSON Lines file, end to end.

End to end means what a user runs: a new Python process starts, imports, loads the default ruleset,
reads and parses every line, validates each event (the command's default) and decides it, writes one JSON
decision per line. One process over the whole file, then one process per core over as many chunks run at
once (the file is split beforehand, untimed). The start-up of a process that decides a single event is
timed too, since it is part of every figure. Each run must exit 0 and write one decision per event.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ruleward.bench.config import BenchConfig
from ruleward.bench.corpus import write_jsonl
from ruleward.bench.engine_runs import DEFAULT_RULESET
from ruleward.bench.profiling import summarize_file
from ruleward.bench.report import Section, Table, Target, fmt_ms, fmt_rate

TARGET_EVENTS_PER_SECOND = 300_000


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


def _split(source: Path, parts: int, folder: Path) -> list[Path]:
    lines = source.read_bytes().splitlines(keepends=True)
    size = -(-len(lines) // parts)
    chunks = []
    for index in range(parts):
        chunk = folder / f"chunk-{index}.jsonl"
        chunk.write_bytes(b"".join(lines[index * size : (index + 1) * size]))
        chunks.append(chunk)
    return chunks


def _run_parallel(inputs: Sequence[Path], folder: Path, expected: int, *extra: str) -> float:
    """Run one `eval` per input at once; the wall time from the first start to the last exit."""
    outputs = [folder / f"{path.stem}.decisions.jsonl" for path in inputs]
    handles = [output.open("wb") for output in outputs]
    start = time.perf_counter()
    try:
        processes = [
            subprocess.Popen(eval_command(path, *extra), stdout=handle, stderr=subprocess.PIPE)
            for path, handle in zip(inputs, handles, strict=True)
        ]
        errors = [process.communicate()[1] for process in processes]
        elapsed = time.perf_counter() - start
    finally:
        for handle in handles:
            handle.close()
    for process, error in zip(processes, errors, strict=True):
        if process.returncode != 0:
            raise BatchFailed(
                f"`ruleward eval` exited {process.returncode}: {error.decode(errors='replace')[-2000:]}"
            )
    decided = sum(_count_lines(output) for output in outputs)
    if decided != expected:
        raise BatchFailed(f"`ruleward eval` wrote {decided} decisions for {expected} events")
    return elapsed


def _count_lines(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in stream)


def _profile(chunk: Path, folder: Path) -> str:
    out = folder / "eval.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), *eval_command(chunk)[1:]]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return summarize_file(out)


def run(config: BenchConfig) -> Section:
    cores = os.cpu_count() or 1
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
        chunks = _split(source, cores, folder)
        runs: list[tuple[str, list[Path], tuple[str, ...]]] = [("all cores", chunks, ())]
        if not config.quick:  # each process takes a while to start: the smoke run starts as few as it can
            runs.insert(0, ("one process", [source], ()))
            runs.append(("all cores, --no-validate", chunks, ("--no-validate",)))
        rates: dict[str, float] = {}
        for label, inputs, extra in runs:
            seconds = _run_parallel(inputs, folder, config.batch_events, *extra)
            rates[label] = config.batch_events / seconds
            table.rows.append([label, str(len(inputs)), fmt_ms(seconds * 1000), fmt_rate(rates[label])])
        if not config.quick:
            startup = min(_run_parallel([single_event], folder, 1) for _ in range(3))
            table.rows.append(["start-up: one process, one event", "1", fmt_ms(startup * 1000), "–"])
        table.notes.append(
            f"input {size / 2**20:,.1f} MiB of JSON Lines; output written to files in a temp dir"
        )
        rate = rates["all cores"]
        target = Target(
            "batch, all cores (`ruleward eval --format json`)",
            f">= {TARGET_EVENTS_PER_SECOND:,} events/s",
            f"{fmt_rate(rate)} on {cores} cores"
            + (f" (one process {fmt_rate(rates['one process'])})" if "one process" in rates else ""),
            rate >= TARGET_EVENTS_PER_SECOND,
        )
        if not target.passed and not config.quick:  # one more process start: too slow for a smoke run
            sample = folder / "profile.jsonl"
            write_jsonl(sample, min(config.batch_events, 5 * config.profile_events), config.seed)
            target.profile = _profile(sample, folder)
    return Section(
        "batch",
        "Batch evaluation",
        method=[
            f"{config.batch_events:,} events of the seeded corpus generator written as JSON Lines",
            f"all cores: the file split into {cores} chunks beforehand, one `ruleward eval` per chunk, all "
            "started at once; wall time from the first start to the last exit",
            "every run must exit 0 and write exactly one decision line per event",
        ],
        tables=[table],
        targets=[target],
    )


__all__ = ["BatchFailed", "eval_command", "run"]
