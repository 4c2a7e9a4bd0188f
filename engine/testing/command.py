"""`ruleward test PATH...`: run the tests and invariants of rulesets; exit 1 if anything fails.

`run_tests` does the work and returns the exit code; `command` is the same with typer's annotations, for
the CLI to register as `app.command("test")(command)`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ruleward.testing.runner import RulesetRun

FORMATS = ("text", "json")
# `ruleward.testing.runner.DEFAULT_EXAMPLES`, spelled out: the runner imports hypothesis (a quarter of a
# second), which every other command would pay for at start-up if this module imported it
DEFAULT_EXAMPLES = 100


def run_tests(
    paths: list[Path],
    *,
    seed: int | None,
    examples: int,
    coverage: bool,
    min_coverage: float | None,
    mutate: bool,
    format: str,
    junit_xml: Path | None,
) -> int:
    """Run every ruleset at `paths`; print the report; 0 when all passed, 1 otherwise, 2 on bad usage."""
    from ruleward.testing.report import json_report, text_report
    from ruleward.testing.report import junit_xml as render_junit
    from ruleward.testing.runner import Options, run_ruleset

    if format not in FORMATS:
        print(f"error: unknown format `{format}`; use text or json", file=sys.stderr)
        return 2
    if examples < 1:
        print("error: --examples must be at least 1", file=sys.stderr)
        return 2
    progress = _progress if format == "text" and sys.stderr.isatty() else None
    options = Options(
        seed=seed,
        examples=examples,
        coverage=coverage or min_coverage is not None,
        mutate=mutate,
        progress=progress,
    )
    runs = [run_ruleset(path, options) for path in paths]
    report = json_report(runs, min_coverage) if format == "json" else text_report(runs, min_coverage)
    sys.stdout.write(report)
    if junit_xml is not None:
        junit_xml.write_text(render_junit(runs), encoding="utf-8")
    return 0 if all(_ok(run, min_coverage) for run in runs) else 1


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _ok(run: RulesetRun, min_coverage: float | None) -> bool:
    if not run.passed:
        return False
    if min_coverage is not None and run.coverage is not None and run.coverage.percent < min_coverage:
        return False
    return True


def command(
    paths: Annotated[
        list[Path], typer.Argument(help="Ruleset directories or `.rw` files, or shipped names.")
    ],
    seed: Annotated[
        int | None, typer.Option(help="Seed for the generated events; a failing run prints the one it used.")
    ] = None,
    examples: Annotated[
        int, typer.Option(help="Generated events per invariant (more is slower and more thorough).")
    ] = DEFAULT_EXAMPLES,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="Report condition coverage of rules and conditions.")
    ] = False,
    min_coverage: Annotated[
        float | None,
        typer.Option(
            metavar="PERCENT", help="Fail when condition coverage is below PERCENT (implies --coverage)."
        ),
    ] = None,
    mutate: Annotated[
        bool,
        typer.Option("--mutate", help="Mutation testing: do the tests notice small changes to the rules?"),
    ] = False,
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    junit_xml: Annotated[
        Path | None, typer.Option("--junit-xml", metavar="FILE", help="Also write JUnit XML to FILE.")
    ] = None,
) -> None:
    """Run the tests and invariants of rulesets; exit 1 if any fails."""
    code = run_tests(
        paths,
        seed=seed,
        examples=examples,
        coverage=coverage,
        min_coverage=min_coverage,
        mutate=mutate,
        format=output_format,
        junit_xml=junit_xml,
    )
    if code:
        raise typer.Exit(code)
