"""The benchmark's results: tables and targets, shown with rich and written as docs/performance.md."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Target:
    """A performance target of the issue, with what was measured against it."""

    name: str
    goal: str
    measured: str
    passed: bool | None  # None: could not be measured (a workload skipped or failed)
    profile: str | None = None  # where the time goes, for a missed target

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else "PASS" if self.passed else "MISS"


@dataclass
class Section:
    """One workload's results."""

    key: str
    title: str
    method: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)


@dataclass
class BenchReport:
    quick: bool
    sections: list[Section] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    failure: str | None = None  # why the run stopped (a disagreement)
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)
    load_after: tuple[float, float, float] | None = None

    @property
    def targets(self) -> list[Target]:
        return [target for section in self.sections for target in section.targets]


def fmt_us(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.2f} µs" if value < 10 else f"{value:.1f} µs"


def fmt_ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.1f} ms" if value < 1000 else f"{value / 1000:,.2f} s"


def fmt_rate(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f}/s"


def fmt_ratio(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}×"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or 1),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
    }


# ---- terminal ---------------------------------------------------------------------------------------------


def print_section(console: Console, section: Section) -> None:
    console.rule(f"[bold]{section.title}")
    for table in section.tables:
        rich_table = RichTable(title=table.title, title_justify="left", show_lines=False)
        for index, column in enumerate(table.columns):
            rich_table.add_column(column, justify="right" if _numeric(table.rows, index) else "left")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
        for note in table.notes:
            console.print(f"  [dim]{note}[/dim]")


def print_targets(console: Console, report: BenchReport) -> None:
    table = RichTable(title="Targets", title_justify="left")
    for column in ("target", "goal", "measured", "verdict"):
        table.add_column(column, justify="left" if column in ("target", "goal") else "right")
    styles = {"PASS": "bold green", "MISS": "bold red", "n/a": "dim"}
    for target in report.targets:
        verdict = target.verdict
        table.add_row(target.name, target.goal, target.measured, f"[{styles[verdict]}]{verdict}[/]")
    console.print(table)


# ---- markdown ---------------------------------------------------------------------------------------------


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _numeric(rows: list[list[str]], column: int) -> bool:
    cells = [row[column] for row in rows if column < len(row) and row[column] not in ("", "–", "skipped")]
    return bool(cells) and all(cell[:1].isdigit() or cell[:1] in "+-−" for cell in cells)


def _markdown_table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |"]
    lines.append(
        "| " + " | ".join("---:" if _numeric(rows, i) else "---" for i in range(len(columns))) + " |"
    )
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def to_markdown(report: BenchReport, method: list[str]) -> str:
    info = machine()
    mode = "quick (CI smoke: tiny corpus, few rounds; figures are not meaningful)" if report.quick else "full"
    lines = [
        "# Performance",
        "",
        "Measured by `ruleward bench` (the `ruleward.bench` package); regenerate this page with",
        "`ruleward bench --output docs/performance.md` after installing the `bench` extra.",
        "",
        f"- date: {report.started.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {info['cpu']}, {info['cores']} cores; {info['os']}",
        f"- Python: {info['python']}",
        f"- load average (1, 5, 15 min) at start: {_load(report.load_before)}; at end: "
        f"{_load(report.load_after or os.getloadavg())} (other work on the machine shows here)",
        f"- mode: {mode}",
        "",
        "## Targets",
        "",
        *_markdown_table(
            ["target", "goal", "measured", "verdict"],
            [[t.name, t.goal, t.measured, f"**{t.verdict}**"] for t in report.targets],
        ),
        "",
        "## Method",
        "",
        *[f"- {line}" for line in method],
        "",
    ]
    if report.failure:
        lines += ["## Run stopped", "", "```", report.failure, "```", ""]
    for section in report.sections:
        lines += [f"## {section.title}", ""]
        if section.method:
            lines += [*[f"- {line}" for line in section.method], ""]
        for table in section.tables:
            lines += [f"**{table.title}**", "", *_markdown_table(table.columns, table.rows), ""]
            if table.notes:
                lines += [*[f"- {note}" for note in table.notes], ""]
    missed = [t for t in report.targets if t.passed is False and t.profile]
    if missed:
        lines += ["## Where the time goes (missed targets)", ""]
        shown: dict[str, str] = {}
        for target in missed:
            profile = (target.profile or "").rstrip()
            lines += [f"### {target.name}", ""]
            if profile in shown:
                lines += [f"The same profile as for “{shown[profile]}”.", ""]
                continue
            shown[profile] = target.name
            lines += ["```", profile, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


__all__ = [
    "BenchReport",
    "Section",
    "Table",
    "Target",
    "fmt_ms",
    "fmt_rate",
    "fmt_ratio",
    "fmt_us",
    "machine",
    "print_section",
    "print_targets",
    "to_markdown",
]
