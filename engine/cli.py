"""The `ruleward` command line: check, format and evaluate rulesets; print the JSON Schemas.

Every command turns every failure into a message on stderr and an exit code, never a traceback:
0 success, 1 the input has problems (diagnostics, malformed events, files that would be reformatted),
2 the command could not run (bad usage, a ruleset that does not load for `eval`, an internal error).
Human output is rendered with rich; JSON output is written with orjson, one document or one line each.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Final, NoReturn, ParamSpec

import orjson
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from ruleward.dsl.diagnostics import Diagnostic, DiagnosticError, has_errors, render_all, summary, to_json
from ruleward.engine.event_input import EventInput, field_path, read_events, validation_problem
from ruleward.testing.command import command as test_command

if TYPE_CHECKING:
    from ruleward.engine.batch import BatchOptions, BlockResult, Decider
    from ruleward.engine.engine import Engine
    from ruleward.engine.records import JsonlDecisionSink

P = ParamSpec("P")

PROGRESS_MIN_BYTES: Final = 4 * 1024 * 1024
PARALLEL_MIN_BYTES: Final = 4 * 1024 * 1024  # below this, starting workers costs more than they save

app = typer.Typer(
    name="ruleward",
    help="Policy-as-code rules engine for trust & safety moderation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class SchemaKind(StrEnum):
    EVENT = "event"
    DECISION = "decision"


class CommandFailed(Exception):
    """A failure that ends the command with `message` on stderr and `exit_code`."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


# ---- output -----------------------------------------------------------------------------------------------


def _stdout() -> Console:
    # soft wrap: a long diagnostic or citation stays on one line for grep and for pipes
    return Console(soft_wrap=True, highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def _write_line(line: str) -> None:
    sys.stdout.write(line + "\n")


def _error(console: Console, message: str) -> None:
    text = Text("error: ", style="bold red")
    text.append(message)
    console.print(text)


def _styled_diagnostics(rendered: str) -> Text:
    text = Text(rendered)
    text.highlight_regex(r"\berror\[E\d+\]", "bold red")
    text.highlight_regex(r"\bwarning\[W\d+\]", "bold yellow")
    text.highlight_regex(r"(?m)^\s*= help:", "cyan")
    text.highlight_regex(r"(?m)^\s*[0-9]* \|", "blue")
    return text


def _guarded(command: Callable[P, None]) -> Callable[P, None]:
    """Run a command so that no exception escapes as a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except typer.Exit:
            raise
        except CommandFailed as failure:
            _error(_stderr(), failure.message)
            raise typer.Exit(failure.exit_code) from None
        except (BrokenPipeError, KeyboardInterrupt):
            raise  # main() ends these quietly
        except Exception as error:
            _error(_stderr(), f"internal error: {type(error).__name__}: {error}")
            _stderr().print("this is a bug in ruleward; please report it with the command that caused it")
            raise typer.Exit(2) from None

    return run


# ---- check ------------------------------------------------------------------------------------------------


def import_schema(spec: str) -> type[BaseModel]:
    """The pydantic model named by `MODULE:CLASS`, imported from the current directory or the path."""
    module_name, colon, qualname = spec.partition(":")
    if not colon or not module_name or not qualname:
        raise CommandFailed(f"`--schema` takes `MODULE:CLASS`, got `{spec}`")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # a host's model lives in the host's project, like `uvicorn app:app`
    try:
        found: object = importlib.import_module(module_name)
    except Exception as error:
        raise CommandFailed(f"cannot import `{module_name}`: {type(error).__name__}: {error}") from None
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise CommandFailed(f"`{spec}` is not a pydantic model class")
    return found


@dataclass(frozen=True, slots=True)
class _CheckResult:
    target: str
    diagnostics: tuple[Diagnostic, ...]
    texts: dict[str, str]
    rules: int | None  # None when the ruleset did not load


def _check_one(target: str, schema: type[BaseModel] | None) -> _CheckResult:
    from ruleward.engine.ruleset import RulesetError, load_checked

    marks = _signal_mark_problems(schema) if schema is not None else ()
    try:
        checked = load_checked(target, schema)
    except RulesetError as error:
        return _CheckResult(target, (*error.diagnostics, *marks), dict(error.texts), None)
    return _CheckResult(target, (*checked.diagnostics, *marks), checked.texts, len(checked.ruleset.rules))


def _signal_mark_problems(schema: type[BaseModel]) -> tuple[Diagnostic, ...]:
    """What `Engine.load` refuses in a host schema (E901): a signal mark below the top level of the event."""
    from ruleward.dsl.types import nested_signals
    from ruleward.engine.ruleset import CANNOT_COMPILE

    return tuple(
        CANNOT_COMPILE.at(
            None,
            f"`{found.path}` (`{found.owner}.{found.name}`) is marked as a signal (`x-ruleward-signal`) "
            "below the top level of the event",
            "signals must be top-level fields of the event: move the field up, or remove the mark",
        )
        for found in nested_signals(schema)
    )


@app.command()
@_guarded
def check(
    paths: Annotated[
        list[str], typer.Argument(help="Ruleset directories or `.rw` files, or shipped ruleset names.")
    ],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = (
        OutputFormat.TEXT
    ),
    schema: Annotated[
        str | None,
        typer.Option(
            metavar="MODULE:CLASS", help="The event model rules are typed against (default: ModerationEvent)."
        ),
    ] = None,
) -> None:
    """Parse and check rulesets; exit 1 if any has an error (warnings alone exit 0)."""
    model = import_schema(schema) if schema else None
    results = [_check_one(target, model) for target in paths]
    diagnostics = [d for result in results for d in result.diagnostics]
    if output_format is OutputFormat.JSON:
        _write_line(to_json(diagnostics))
    else:
        out = _stdout()
        for result in results:
            if result.diagnostics:
                out.print(_styled_diagnostics(render_all(result.diagnostics, result.texts)))
                out.print()
        for result in results:
            out.print(_check_summary(result))
    if has_errors(diagnostics):
        raise typer.Exit(1)


def _check_summary(result: _CheckResult) -> Text:
    text = Text(f"{result.target}: ")
    if has_errors(result.diagnostics):
        text.append(summary(result.diagnostics), style="bold red")
    elif result.diagnostics:
        text.append(summary(result.diagnostics), style="yellow")
    else:
        text.append("ok", style="bold green")
    if result.rules is not None:
        text.append(f" ({result.rules} rule{'s' if result.rules != 1 else ''})")
    return text


# ---- fmt --------------------------------------------------------------------------------------------------


@app.command()
@_guarded
def fmt(
    paths: Annotated[list[Path], typer.Argument(help="`.rw` files or directories (searched recursively).")],
    check_only: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if any file would change.")
    ] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Write nothing; print a unified diff.")] = False,
) -> None:
    """Format ruleset files in place, in the one canonical layout."""
    from ruleward.dsl.formatter import format_source
    from ruleward.dsl.loader import NOT_FOUND, ruleset_files
    from ruleward.dsl.parser import decode

    out, err = _stdout(), _stderr()
    failed = False
    files: dict[Path, None] = {}
    for path in paths:
        if not path.exists() and not path.is_symlink():
            no_file = NOT_FOUND.at(None, f"`{path}` does not exist", "check the path")
            err.print(_styled_diagnostics(render_all([no_file], {})))
            failed = True
        elif path.is_dir() and not ruleset_files(path):
            err.print(f"warning: `{path}` holds no `.rw` files", markup=False)
        for file in ruleset_files(path) if path.exists() else ():
            files.setdefault(file, None)

    changed = unchanged = 0
    for file in files:
        name = str(file)
        try:
            data = file.read_bytes()
            source = decode(name, data)
            formatted = format_source(source.text, name)
        except OSError as error:
            _error(err, f"cannot read `{name}`: {error.strerror}")
            failed = True
            continue
        except DiagnosticError as error:
            texts = {name: data.decode("utf-8", "replace")}
            err.print(_styled_diagnostics(render_all(error.diagnostics, texts)))
            err.print()
            failed = True
            continue
        if formatted.encode() == data:
            unchanged += 1
            continue
        changed += 1
        if diff:
            out.print(_diff_text(name, data.decode("utf-8", "replace"), formatted), end="")
        if check_only:
            out.print(f"would reformat {name}", markup=False)
        elif not diff:
            try:
                write_atomically(file, formatted.encode())
            except OSError as error:
                _error(err, f"cannot write `{name}`: {error.strerror}")
                failed = True
                changed -= 1
    err.print(_fmt_summary(changed, unchanged, written=not (check_only or diff)), markup=False)
    if failed or (check_only and changed):
        raise typer.Exit(1)


def _fmt_summary(changed: int, unchanged: int, *, written: bool) -> str:
    def files(count: int) -> str:
        return f"{count} file{'s' if count != 1 else ''}"

    verb = "reformatted" if written else "would be reformatted"
    return f"{files(changed)} {verb}, {files(unchanged)} already formatted"


def _diff_text(name: str, before: str, after: str) -> Text:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"{name}", f"{name} (formatted)"
    )
    text = Text()
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "")
        text.append(line, style="bold" if line.startswith(("+++", "---")) else style)
    return text


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path`'s content: a reader sees the old file or the new one, never half of it."""
    target = path.resolve()  # through a symlink, rewrite the file it points to
    mode = stat.S_IMODE(target.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---- eval: reading events is `event_input`'s; these names stay importable from here ----------------------

__reexported__ = (EventInput, field_path, read_events, validation_problem)


# ---- eval: writing decisions ------------------------------------------------------------------------------


def _value_text(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and key != "priority":
        return orjson.dumps(value).decode()
    return str(value)


def action_text(action: object) -> str:
    """An action or obligation as the language writes it: `review(queue: "child_safety", priority: P1)`."""
    if not isinstance(action, Mapping):
        return str(action)
    params = [f"{key}: {_value_text(key, value)}" for key, value in action.items() if key != "kind"]
    kind = str(action.get("kind"))
    return f"{kind}({', '.join(params)})" if params else kind


_DISPOSITION_STYLES: Final = {
    "block": "bold red",
    "remove": "bold red",
    "hold": "bold yellow",
    "restrict": "yellow",
    "interstitial": "cyan",
    "label": "cyan",
    "allow": "green",
}


def decision_text(record: Mapping[str, object]) -> Text:
    """A readable summary of one decision, from its JSON form."""
    disposition = str(record.get("disposition"))
    text = Text(str(record.get("event_id")), style="bold")
    text.append("  ")
    text.append(disposition, style=_DISPOSITION_STYLES.get(disposition, "bold"))
    text.append(f"  account: {action_text(record.get('account_action'))}")
    obligations = _items(record.get("obligations"))
    if obligations:
        text.append("\n  obligations  " + ", ".join(action_text(o) for o in obligations))
    for match in _mappings(record.get("matched")):
        text.append("\n  fired        ")
        text.append(str(match.get("rule")), style="bold")
        text.append(f" [{match.get('tier')}]", style="magenta")
        if match.get("cite"):
            text.append(f"  {match.get('cite')}", style="dim")
    shadow = _items(record.get("shadow"))
    if shadow:
        text.append("\n  shadow       " + ", ".join(str(rule) for rule in shadow))
    for error in _mappings(record.get("errors")):
        span = error.get("span")
        where = f" ({span['file']}:{span['line']}:{span['column']})" if isinstance(span, Mapping) else ""
        text.append("\n  error        ", style="red")
        text.append(f"{error.get('rule')}: {error.get('message')}{where}")
    return text


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _mappings(value: object) -> list[Mapping[str, object]]:
    return [item for item in _items(value) if isinstance(item, Mapping)]


class _Tally:
    def __init__(self) -> None:
        self.decided = 0
        self.malformed = 0
        self.broken = 0
        self.dispositions: dict[str, int] = {}

    def add(self, result: BlockResult) -> None:
        for disposition, count in result.dispositions.items():
            self.decided += count
            self.dispositions[disposition] = self.dispositions.get(disposition, 0) + count
        self.malformed += result.malformed
        self.broken += result.broken

    def line(self) -> str:
        parts = ", ".join(f"{count} {name}" for name, count in sorted(self.dispositions.items()))
        text = f"{self.decided} event{'s' if self.decided != 1 else ''} decided"
        text += f": {parts}" if parts else ""
        if self.malformed:
            text += f"; {self.malformed} malformed"
        return text


# ---- eval -------------------------------------------------------------------------------------------------


def _load_engine(ruleset: str, schema: type[BaseModel] | None) -> Engine:
    from ruleward.engine.engine import Engine
    from ruleward.engine.ruleset import RulesetError
    from ruleward.engine.tracing import DecisionTracer

    try:
        return Engine.load(ruleset, schema, validate=False, tracer=DecisionTracer())
    except RulesetError as error:
        err = _stderr()
        err.print(_styled_diagnostics(render_all(error.diagnostics, error.texts)))
        err.print()
        raise CommandFailed(f"the ruleset `{ruleset}` has errors; no event was evaluated") from None


def _spawned_decider(ruleset: str, schema: str | None, options: BatchOptions) -> Decider:
    """A worker's decider where workers are spawned, not forked: the ruleset loaded again, once."""
    from ruleward.engine.batch import Decider

    return Decider(_load_engine(ruleset, import_schema(schema) if schema else None), options)


def show_progress(total_bytes: int, *, stderr_is_terminal: bool, stdout_is_terminal: bool) -> bool:
    """A progress bar helps only for a large batch, on a terminal, and not over decisions shown there."""
    return stderr_is_terminal and not stdout_is_terminal and total_bytes >= PROGRESS_MIN_BYTES


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@app.command("eval")
@_guarded
def eval_(
    ruleset: Annotated[
        str, typer.Argument(help="A ruleset directory or file, or a shipped name: child_safety.")
    ],
    events: Annotated[
        list[str],
        typer.Argument(help="`.json` files (an event or an array), `.jsonl` files, or - for stdin."),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text, or json: one decision per line.")
    ] = OutputFormat.TEXT,
    explain: Annotated[bool, typer.Option("--explain", help="Say why each rule fired or did not.")] = False,
    validate: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Validate each event against the schema first.")
    ] = True,
    records: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Append a decision record (decision and event) per event to FILE."),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option(metavar="MODULE:CLASS", help="The event model (default: ModerationEvent)."),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            metavar="N",
            help="Worker processes; 0 (the default): every core for 4 MiB of input or more, else one.",
        ),
    ] = 0,
) -> None:
    """Decide events with a ruleset. Exit 1 if any event was malformed (the others are still decided)."""
    from ruleward.engine.batch import BatchOptions, Decider, WorkerFailed, decide_blocks, default_jobs
    from ruleward.engine.event_input import input_size, read_blocks

    model = import_schema(schema) if schema else None
    engine = _load_engine(ruleset, model)
    err = _stderr()
    tally = _Tally()
    as_json = output_format is OutputFormat.JSON
    options = BatchOptions(json=as_json, explain=explain, validate=validate, records=records is not None)
    total = input_size(events)
    workers = jobs or default_jobs(total, PARALLEL_MIN_BYTES)
    with ExitStack() as stack:
        sink = _open_sink(stack, records)
        advance: Callable[[int], None] = lambda _: None  # noqa: E731 - replaced when a bar is shown
        if show_progress(
            total, stderr_is_terminal=_is_terminal(sys.stderr), stdout_is_terminal=_is_terminal(sys.stdout)
        ):
            progress = stack.enter_context(_progress_bar(err))
            task = progress.add_task("deciding", total=total)
            advance = functools.partial(_advance, progress, task)
        blocks = (block for argument in events for block in read_blocks(argument))
        load = functools.partial(_spawned_decider, ruleset, schema, options)
        write = _output_writer()
        try:
            for result in decide_blocks(Decider(engine, options), blocks, workers, load):
                _write_result(result, write, err, sink)
                tally.add(result)
                advance(result.size)
        except WorkerFailed as failure:
            raise CommandFailed(
                f"a worker process failed: {failure}\n"
                "  = help: the decisions written so far are complete; `--jobs 1` decides in this process"
            ) from None
    if output_format is OutputFormat.TEXT:
        _stdout().print(tally.line(), markup=False)
    elif tally.malformed:
        err.print(f"{tally.malformed} malformed event{'s' if tally.malformed != 1 else ''}", markup=False)
    if tally.broken:
        raise typer.Exit(2)
    if tally.malformed:
        raise typer.Exit(1)


def _output_writer() -> Callable[[bytes], object]:
    """Write encoded JSON lines to stdout: to its binary buffer, in large blocks, when it has one."""
    stdout = sys.stdout
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        return lambda data: stdout.write(data.decode())
    stdout.flush()  # whatever went through the text layer comes first
    return buffer.write  # type: ignore[no-any-return]


def _write_result(
    result: BlockResult, write: Callable[[bytes], object], err: Console, sink: JsonlDecisionSink | None
) -> None:
    if result.output:
        write(result.output)
    if result.summaries:
        out = _stdout()
        for record, explanation in result.summaries:
            out.print(decision_text(record))
            if explanation is not None:
                out.print(explanation, markup=False)
            out.print()
    for message in result.messages:
        if message.internal:
            _error(err, message.text)
        else:
            err.print(message.text, markup=False)
    if sink is not None:
        sink.write_lines(result.records)


def _advance(progress: Progress, task: object, size: int) -> None:
    progress.advance(task, size)  # type: ignore[arg-type]


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,  # decisions go to stdout untouched; only stderr carries the bar
        redirect_stderr=False,
    )


def _open_sink(stack: ExitStack, records: Path | None) -> JsonlDecisionSink | None:
    if records is None:
        return None
    from ruleward.engine.records import JsonlDecisionSink

    try:
        return stack.enter_context(JsonlDecisionSink(records))
    except OSError as error:
        raise CommandFailed(f"cannot open `{records}` for records: {error.strerror}") from None


# ---- schema -----------------------------------------------------------------------------------------------


@app.command("schema")
@_guarded
def schema_(kind: Annotated[SchemaKind, typer.Argument(help="event or decision.")]) -> None:
    """Print the JSON Schema of a moderation event or of a decision."""
    if kind is SchemaKind.EVENT:
        from ruleward.engine.events import event_json_schema

        document = event_json_schema()
    else:
        from ruleward.engine.decision import decision_json_schema

        document = decision_json_schema()
    _write_line(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())


# ---- test and bench live in their own packages -------------------------------------------------------------

app.command("test")(_guarded(test_command))


@app.command("bench")
@_guarded
def bench(
    workloads: Annotated[
        list[str] | None,
        typer.Argument(help="Workloads (default: all): compare, default, scaling, compile, tracing, batch."),
    ] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small corpus, few rounds.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report as Markdown.")
    ] = None,
) -> None:
    """Benchmark ruleward, side by side with other engines; exit 1 if an engine disagrees."""
    from ruleward.bench.command import run_bench  # the benchmark suite imports a lot; only `bench` pays

    code = run_bench(workloads, quick, output)
    if code:
        raise typer.Exit(code)


# ---- entry point ------------------------------------------------------------------------------------------


def _quit_on_broken_pipe() -> NoReturn:
    # the reader (`| head`) went away: stop quietly; point stdout at devnull so the final flush cannot fail
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(141)


def main() -> None:
    """The `ruleward` console script."""
    try:
        app(prog_name="ruleward")
    except BrokenPipeError:
        _quit_on_broken_pipe()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as error:  # a failure outside any command, e.g. while parsing the arguments
        sys.stderr.write(f"error: internal error: {type(error).__name__}: {error}\n")
        sys.exit(2)


__all__ = ["app", "main"]
