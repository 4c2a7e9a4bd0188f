"""The formatter: one canonical layout for ruleset files, comments kept, meaning checked.

- `format_module(module)`: the canonical text of one parsed file, with its comments put back.
- `format_source(text, path)`: parse, format, and parse the result again; if the two trees differ, or a
  comment went missing, raise `E090` rather than hand back a file that means something else.
- `canonical_text(ruleset)`: every file of a ruleset formatted without comments, in order: what the
  ruleset digest is computed over, so layout and comments never change it.

Layout: 110 columns, two spaces in. One clause per line in a fixed order; an expression that does not fit
is broken before `and` / `or`, each further level two spaces in, a quantifier's body on its own line from
`where`, a parenthesized group that does not fit opened as a block; lists, calls, JSON and action
arguments that do not fit put one item per line. A blank line between declarations.
"""

from __future__ import annotations

from ruleward.dsl import nodes as n
from ruleward.dsl.diagnostics import DiagnosticCode, DiagnosticError
from ruleward.dsl.formatter.comments import weave
from ruleward.dsl.formatter.declarations import DeclarationPrinter
from ruleward.dsl.formatter.layout import WIDTH
from ruleward.dsl.formatter.soundness import check_depth, first_difference, lost_comment
from ruleward.dsl.formatter.tokens import UnprintableError
from ruleward.dsl.parser import decode, parse
from ruleward.dsl.source import SourceFile, Span

FORMAT_CHANGED_MEANING = DiagnosticCode(
    "E090", "format-changed-meaning", "formatting would change what the file means, so it was refused"
)

_REPORT_HINT = "the file was left as it is; this is a bug in the formatter, please report it with the file"


def format_module(module: n.Module) -> str:
    """The canonical text of one file, with its comments. Raises `UnprintableError` for a tree no text
    parses to (for example, a rule without clauses) and `DiagnosticError` (`E007`) for one too deep."""
    check_depth(module)
    printer = DeclarationPrinter(spans=bool(module.comments))  # spans only place comments
    printed = [printer.declaration(declaration) for declaration in module.declarations]
    lines = weave(module, printed)
    return "\n".join(lines) + "\n" if lines else ""


def format_source(text: str, path: str = "<string>") -> str:
    """Format one file's text. Syntax errors and refusals (`E090`) raise `DiagnosticError`."""
    # the same limits as a file read from disk: size, NUL bytes, text that is not UTF-8
    source = decode(path, text.encode("utf-8", "surrogatepass"))
    module = parse(source)
    try:
        formatted = format_module(module)
    except UnprintableError as error:
        raise _refusal(module.span, f"formatting `{path}` failed: {error}") from None
    try:
        reparsed = parse(SourceFile(path, formatted))
    except DiagnosticError as error:
        first = error.diagnostics[0].message if error.diagnostics else "a syntax error"
        raise _refusal(module.span, f"the formatted `{path}` would not parse ({first})") from None
    difference = first_difference(module, reparsed)
    if difference is not None:
        raise _refusal(difference, f"formatting `{path}` would change what this means")
    lost = lost_comment(module, reparsed)
    if lost is not None:
        raise _refusal(lost.span, f"formatting `{path}` would lose this comment")
    return formatted


def canonical_text(ruleset: n.Ruleset) -> str:
    """Every module formatted without its comments, in module order, a blank line between modules."""
    return "\n".join(format_module(n.Module(m.path, m.declarations)) for m in ruleset.modules)


def _refusal(span: Span, message: str) -> DiagnosticError:
    return DiagnosticError([FORMAT_CHANGED_MEANING.at(span, message, _REPORT_HINT)])


__all__ = [
    "FORMAT_CHANGED_MEANING",
    "WIDTH",
    "UnprintableError",
    "canonical_text",
    "format_module",
    "format_source",
]
