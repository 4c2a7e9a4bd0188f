"""The fast path from text to AST: one regex for all tokens, fed straight into lark's LALR tables.

lark stays the authority on the language. It compiles grammar.lark (strict, conflict-free) into terminal
definitions and LALR(1) tables, and its own parser (`parser._lark()`) reports every syntax error. What cost
seconds on a 1000-rule file was lark's generic machinery around those tables: a lexer object consulted per
token, a tree node per rule, positions propagated through every node, then a second pass over the tree.
`parse` runs the same tables in one loop: a master regex that tries the terminals in the order lark's lexer
does, a reducer per grammar rule that makes the AST value at once from the children lark would keep, and
per stack slot the index of its first token, so a rule's span runs from that token to the last one read,
as lark's `propagate_positions` has it.

Tokens: the master regex reads what lark's root lexer reads. lark's contextual lexer only tries the
terminals the parser can take next, so it reads a keyword as a name where no keyword fits (`m.owner`,
`review(tier: ...)`), and `parse` does the same. Where the regex's token does not fit at all (`==` where
only `=` may stand, a keyword glued to a word), `parse` asks lark's contextual lexer for that one token.

Runs: a large file is mostly declarations of a few shapes, and what the tables do with a run of tokens
depends only on the states it starts from and the tokens' kinds. So `parse` reads the whole text first,
cuts it at each declaration keyword that opens a line, and works out each run's reductions from the tables
once, then replays them for every run alike (in this file or a later one): the same handler calls in the
same order, without the table lookups. A text where a token does not fit goes through the loop that reads
tokens as it parses, relexing where needed.

`parse` raises `Bail` on a syntax error, and when the parse stack grows deep enough that the nesting limit
might apply: the caller then asks lark, whose errors stay the only source of syntax diagnostics.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedCharacters
from lark.grammar import Rule, Terminal
from lark.lexer import ContextualLexer, LexerThread, PatternRE, PatternStr, TerminalDef
from lark.parsers.lalr_analysis import Shift

# A handler makes a tree rule's value from the children lark would keep (AST values, or token indices for
# tokens) and the indices of the rule's first and last token. A reducer does the same from all the rule's
# children (its `Gather` picks the kept ones first); `None` passes a one-child rule's child through.
Handler = Callable[[Sequence[Any], int, int], Any]
Reducer = Callable[[Any, int, int], Any]
Gather = Callable[[list[Any]], Sequence[Any]]
# per rule: slots popped, reducer, gather, goto (state under the children -> state after the rule)
Step = tuple[int, Reducer | None, Gather | None, dict[int, int]]

# Past this many stack slots the caller has lark check the nesting depth. Each slot accounts for at most
# three levels of lark's tree (the steepest climb is `(x) == 1 and c or d` nested in its own `x`: an `or`,
# an `and` and a comparison per `(`), so below this the tree stays near 3 * 40 levels, well inside the
# 3 * parser.MAX_DEPTH that parser._check_depth allows.
MAX_STACK = 40

_UNLEXABLE = "unlexable"  # the master regex's last resort: a character that starts no terminal
_BLANKS = " \t\f\r"  # what may follow a token on its line without being a token


class Bail(Exception):
    """The fast path cannot vouch for this input: lark must look at it."""


@dataclass(frozen=True, slots=True)
class RuleShape:
    """How lark's tree builder shapes one grammar rule, read from lark's compiled rule."""

    name: str  # the rule's alias or name: what its tree node is called
    origin: str  # the nonterminal it reduces to
    size: int  # how many stack slots it pops
    keep: tuple[int, ...]  # the children lark keeps (anonymous tokens such as `(` are dropped)
    splice: tuple[bool, ...]  # per kept child: a `_helper` list whose items join this rule's children
    inline: bool  # a `?rule` with one kept child: that child itself, no node of its own
    helper: bool  # a `_helper` rule (from `x*`, `x+`, ...): its kept children join its parent's


@dataclass(frozen=True, slots=True)
class Tables:
    """The grammar's tables, and what was learnt running them (`passes`, `afters`, `replays`).

    What was learnt depends on the steps too (a rule without a reducer is no op in a replay), so one
    Tables serves one set of steps: the parser's. A caller with other handlers needs Tables of its own.
    """

    pattern: re.Pattern[str]
    ignore: frozenset[str]
    comment: str  # the ignored terminal whose text is kept
    absorber: str  # the terminal that also matches every keyword (NAME)
    keywords: dict[str, str]  # keyword text -> terminal, e.g. "and" -> "AND"
    actions: list[dict[str, int]]  # per state, per terminal: >= 0 shift to that state, < 0 reduce rule ~n
    gotos: list[dict[int, int]]  # per rule: the state under its children -> the state after it
    start: int
    end: int
    rules: tuple[RuleShape, ...]
    plan: tuple[tuple[str | None, Step], ...]  # per rule, see `_plan`
    contextual: ContextualLexer  # lark's own lexer, asked where the master regex's token does not fit
    openers: frozenset[str]  # the keywords that open a declaration: a run of tokens starts at each
    # (state below, state on top, token) -> (state on top, next action) after one-child reductions
    passes: dict[tuple[int, int, str], tuple[int, int | None]] = field(default_factory=dict)
    # (reduce action, state below, token) -> the same after the rule's goto and one-child reductions
    afters: dict[tuple[int, int, str], tuple[int, int | None]] = field(default_factory=dict)
    # (the parse stack's states, a run of tokens as the regex reads them) -> what the tables do with it
    replays: dict[tuple[tuple[int, ...], tuple[str, ...]], Replay] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Replay:
    """What the LALR tables did with a run of tokens from a given stack of states: the same again for
    the same tokens from the same states, whatever their texts."""

    ops: tuple[int, ...]  # >= 0: reduce by that rule (one that makes a value); < 0: shift that many tokens
    kinds: tuple[str, ...]  # the tokens' kinds as the parser took them (a keyword read as a name or not)
    states: tuple[int, ...]  # the stack of states after the run
    depth: int  # the deepest the stack was after a shift


@dataclass(slots=True)
class Tokens:
    """The tokens read, as parallel lists (a token's index is its position in them), and the comments."""

    kinds: list[str]
    texts: list[str]
    starts: list[int]
    lines: list[int]
    columns: list[int]
    comments: list[tuple[str, int, int, int]]  # text, start offset, line, column

    @classmethod
    def empty(cls) -> Tokens:
        return cls([], [], [], [], [], [])

    def clear(self) -> None:
        for items in (self.kinds, self.texts, self.starts, self.lines, self.columns, self.comments):
            items.clear()


def tables(lark: Lark, comment: str = "COMMENT") -> Tables:
    """Read lark's compiled terminals and LALR tables for `parse`; `lark` must use the contextual lexer."""
    # lark's lexer tries terminals in this order, and Python's regex alternation takes the first that matches
    terminals = sorted(
        lark.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
    )
    absorbed = _absorbed_keywords(terminals)
    absorbers = set(absorbed.values())
    if len(absorbers) != 1:
        raise ValueError(f"expected one terminal to match names and keywords, found {sorted(absorbers)}")
    alternatives = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name not in absorbed]
    tokens = "|".join([*alternatives, f"(?P<{_UNLEXABLE}>(?s:.))"])
    # lark's names may be its Token class, a str whose == runs in Python: keep plain strings
    # `ignore_tokens` is missing on a parser loaded from lark's cache; `lexer_conf.ignore` is always there
    ignore = frozenset(str(name) for name in lark.lexer_conf.ignore)
    # blanks after a token are read with it, which halves the matches; lark ignores them on their own
    for blank in _BLANKS:
        match = re.match(tokens, blank)
        if match is None or match.lastgroup not in ignore or match.group() != blank:
            raise ValueError(f"the grammar does not ignore {blank!r}")

    contextual = lark.parser.lexer
    if not isinstance(contextual, ContextualLexer):
        raise TypeError("the fast path follows lark's contextual lexer")
    parse_table = lark.parser.parser._parse_table
    terminal_names = {t.name for t in terminals} | {"$END"}
    rule_index = {rule: i for i, rule in enumerate(lark.rules)}
    shapes = tuple(_shape(rule) for rule in lark.rules)
    actions: list[dict[str, int]] = [{} for _ in range(max(parse_table.states) + 1)]
    gotos: list[dict[int, int]] = [{} for _ in shapes]
    by_origin: dict[str, list[dict[int, int]]] = {}
    for shape, goto in zip(shapes, gotos, strict=True):
        by_origin.setdefault(shape.origin, []).append(goto)
    for state, row in parse_table.states.items():
        for symbol, (action, arg) in row.items():
            if symbol not in terminal_names:
                for goto in by_origin.get(str(symbol), ()):
                    goto[state] = arg
            elif action is Shift:
                actions[state][str(symbol)] = arg
            else:
                actions[state][str(symbol)] = ~rule_index[arg]
    return Tables(
        pattern=re.compile(f"(?:{tokens})[{re.escape(_BLANKS)}]*"),
        ignore=ignore,
        comment=comment,
        absorber=str(absorbers.pop()),
        keywords={str(t.pattern.value): str(t.name) for t in terminals if t.name in absorbed},
        actions=actions,
        gotos=gotos,
        start=parse_table.start_states["start"],
        end=parse_table.end_states["start"],
        rules=shapes,
        plan=tuple(_plan(shape, goto) for shape, goto in zip(shapes, gotos, strict=True)),
        contextual=contextual,
        openers=frozenset(kind for kind in actions[parse_table.start_states["start"]] if kind in absorbed),
    )


def _absorbed_keywords(terminals: Sequence[TerminalDef]) -> dict[str, str]:
    """Keywords that a regex terminal also matches in full, each to that terminal (lark's "unless" rule)."""
    absorbed: dict[str, str] = {}
    for regex in terminals:
        if not isinstance(regex.pattern, PatternRE):
            continue
        for word in terminals:
            if not isinstance(word.pattern, PatternStr) or word.priority != regex.priority:
                continue
            match = re.match(regex.pattern.to_regexp(), word.pattern.value)
            if match and match.group(0) == word.pattern.value:
                if not set(word.pattern.flags) <= set(regex.pattern.flags) or word.name in absorbed:
                    raise ValueError(f"keyword {word.name} is matched in a way the fast path does not follow")
                absorbed[word.name] = regex.name
    return absorbed


def _shape(rule: Rule) -> RuleShape:
    keep_all = bool(rule.options.keep_all_tokens)
    kept = [
        (i, not symbol.is_term and symbol.name.startswith("_"))
        for i, symbol in enumerate(rule.expansion)
        if keep_all or not (isinstance(symbol, Terminal) and symbol.filter_out)
    ]
    splice = tuple(s for _, s in kept)
    # with maybe_placeholders an optional part left out still counts as a child, so such a rule keeps its node
    placeholders = any(rule.options.empty_indices or ())
    return RuleShape(
        name=str(rule.alias or rule.origin.name),
        origin=str(rule.origin.name),
        size=len(rule.expansion),
        keep=tuple(i for i, _ in kept),
        splice=splice,
        inline=bool(rule.options.expand1) and not rule.alias and splice == (False,) and not placeholders,
        helper=rule.origin.name.startswith("_"),
    )


def steps(tables: Tables, handlers: Mapping[str, Handler]) -> list[Step]:
    """Per grammar rule, how `parse` reduces it, with `handlers` for the rules that make tree nodes.

    A tree rule's handler is named as lark names the rule's node; a `_helper` rule makes the list its
    parent splices in; a `?rule` passes its one kept child through.
    """
    try:
        return [
            (size, reducer if name is None else handlers[name], gather, goto)
            for name, (size, reducer, gather, goto) in tables.plan
        ]
    except KeyError as missing:
        raise AssertionError(f"no AST rule for {missing}") from None


def _plan(shape: RuleShape, goto: dict[int, int]) -> tuple[str | None, Step]:
    """A rule's step, but for a tree rule the name of its handler, which each parse supplies."""
    keep, splice = shape.keep, shape.splice
    if shape.inline:
        only = keep[0]
        reducer = None if shape.size == 1 else (lambda children, first, last: children[only])
        return None, (shape.size, reducer, None, goto)
    if shape.helper:
        return None, (shape.size, _helper(keep, splice), None, goto)
    return shape.name, (shape.size, None, _gather(keep, splice, shape.size), goto)


def _gather(keep: tuple[int, ...], splice: tuple[bool, ...], size: int) -> Gather | None:
    if any(splice):
        # a `_helper` list is used once, by this rule, so it may be handed on or grown in place
        if splice == (True,):
            return itemgetter(keep[0])
        if splice == (False, True):
            head, items = keep
            return lambda children: [children[head], *children[items]]
        if splice == (False, False, True):
            one, two, items = keep
            return lambda children: [children[one], children[two], *children[items]]
        return lambda children: _kept(children, keep, splice)
    if keep == tuple(range(size)):
        return None  # lark keeps every child
    if not keep:
        return itemgetter(slice(0, 0))
    if keep == tuple(range(keep[0], keep[-1] + 1)):
        return itemgetter(slice(keep[0], keep[-1] + 1))  # a list
    return itemgetter(*keep)  # a tuple (of two or more children, since one is contiguous)


def _helper(keep: tuple[int, ...], splice: tuple[bool, ...]) -> Reducer:
    if splice == (False,):
        only = keep[0]
        return lambda children, first, last: [children[only]]
    if splice == (True, False):
        # `_x: item | _x "," item`: the list so far is used once, by this rule, so it may grow in place
        head, item = keep

        def extend(children: list[Any], first: int, last: int) -> list[Any]:
            out: list[Any] = children[head]
            out.append(children[item])
            return out

        return extend
    return lambda children, first, last: _kept(children, keep, splice)


def _kept(children: Sequence[Any], keep: tuple[int, ...], splice: tuple[bool, ...]) -> list[Any]:
    out: list[Any] = []
    for i, spliced in zip(keep, splice, strict=True):
        if spliced:
            out.extend(children[i])
        else:
            out.append(children[i])
    return out


def parse(tables: Tables, text: str, tokens: Tokens, steps: Sequence[Step], max_stack: int | None) -> Any:
    """Run the LALR tables over `text` with `steps` (see `steps`), filling `tokens`.

    Raises `Bail` on a syntax error, and when the stack holds more than `max_stack` slots.
    """
    try:
        return _parse_runs(tables, text, tokens, steps, max_stack)
    except _Unfit:
        tokens.clear()
        return _parse_interleaved(tables, text, tokens, steps, max_stack)


# ---- runs of tokens, replayed ------------------------------------------------------------------------------
#
# A large ruleset is mostly declarations of a few shapes (rule families), and what the tables do with a run
# of tokens depends only on the stack of states it starts from and on the tokens' kinds, never on their
# texts. So the text is read whole first, cut into runs at each declaration keyword that opens a line, and
# each run's reductions are worked out from the tables once and then replayed: the same handlers called on
# the same slots in the same order, as the loop over the tables would (the first error found is the same).

_REPLAYS_KEPT = 4096  # runs remembered per grammar; past this the memory starts afresh


class _Unfit(Exception):
    """A token the master regex read does not fit where it stands: the interleaved loop relexes it."""


def _parse_runs(
    tables: Tables, text: str, tokens: Tokens, steps: Sequence[Step], max_stack: int | None
) -> Any:
    read, runs = _read(tables, text, tokens)
    limit = max_stack if max_stack is not None else len(text) + 2
    replays = tables.replays
    kinds = tokens.kinds
    state_stack = [tables.start]
    value_stack: list[Any] = []
    first_stack: list[int] = []
    for begin, end in itertools.pairwise(runs):
        key = (tuple(state_stack), tuple(read[begin:end]))
        replay = replays.get(key)
        if replay is None:
            replay = _record(
                tables, steps, read, begin, end, kinds, state_stack, value_stack, first_stack, limit
            )
            if len(replays) >= _REPLAYS_KEPT:
                replays.clear()
            replays[key] = replay
            continue
        if replay.depth > limit:
            raise Bail("deep nesting")
        kinds += replay.kinds
        index = begin
        for op in replay.ops:
            if op < 0:
                shifted = range(index, index - op)
                value_stack += shifted
                first_stack += shifted
                index -= op
                continue
            size, reducer, gather, _ = steps[op]
            assert reducer is not None  # a rule without a reducer changes states only, so it is no op
            if size:
                first = first_stack[-size]
                children = value_stack[-size:]
                if size > 1:
                    del value_stack[1 - size :], first_stack[1 - size :]
                value_stack[-1] = reducer(children if gather is None else gather(children), first, index - 1)
            else:
                value_stack.append(reducer([] if gather is None else gather([]), index, index - 1))
                first_stack.append(index)
        state_stack[:] = replay.states
    return _finish(tables, steps, state_stack, value_stack, first_stack, len(read))


def _read(tables: Tables, text: str, tokens: Tokens) -> tuple[list[str], list[int]]:
    """Every token of `text` as the master regex reads it (a name that spells a keyword as that keyword),
    its text and position in `tokens`, and where each run starts (the last is the end)."""
    ignore = tables.ignore
    comment = tables.comment
    absorber = tables.absorber
    keywords = tables.keywords
    openers = tables.openers
    read: list[str] = []
    runs = [0]
    kind_of = read.append
    texts = tokens.texts.append
    starts = tokens.starts.append
    lines = tokens.lines.append
    columns = tokens.columns.append
    line = 1
    line_start = 0
    for match in tables.pattern.finditer(text):
        kind: str = match.lastgroup  # type: ignore[assignment]  # every alternative is a named group
        start = match.start()  # the token's own group opens the match; blanks after it close it
        value: str = match[kind]
        if kind in ignore:
            if kind == comment:
                tokens.comments.append((value, start, line, start - line_start + 1))
            elif "\n" in value:
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
            continue
        if kind == absorber:
            kind = keywords.get(value, absorber)
            if kind in openers and start == line_start and read:
                runs.append(len(read))
        kind_of(kind)
        texts(value)
        starts(start)
        lines(line)
        columns(start - line_start + 1)
    if line != text.count("\n") + 1:
        raise Bail("a token spanning lines")  # tokens' lines are counted only between tokens
    runs.append(len(read))
    return read, runs


def _record(
    tables: Tables,
    steps: Sequence[Step],
    read: list[str],
    begin: int,
    end: int,
    kinds: list[str],
    state_stack: list[int],
    value_stack: list[Any],
    first_stack: list[int],
    limit: int,
) -> Replay:
    """Run the tables over tokens `begin` to `end` (as `_parse_interleaved` does), each token's kind added to
    `kinds` as it is taken (handlers read them), and say what the tables did."""
    actions = tables.actions
    passes = tables.passes
    afters = tables.afters
    absorber = tables.absorber
    keywords = tables.openers.union(tables.keywords.values())
    ops: list[int] = []
    depth = 0
    for index in range(begin, end):
        kind = read[index]
        row = actions[state_stack[-1]]
        if kind in keywords and kind not in row:
            kind = absorber  # lark's contextual lexer reads a keyword as a name where no keyword fits
        action = row.get(kind)
        if action is None:
            raise _Unfit
        kinds.append(kind)
        last = index - 1
        while action < 0:
            size, reducer, gather, goto = steps[~action]
            if reducer is None:
                key = (state_stack[-2], state_stack[-1], kind)
                hop = passes.get(key)
                if hop is None:
                    hop = passes[key] = _pass(tables, steps, key)
                state_stack[-1], action = hop
            elif size:
                ops.append(~action)
                first = first_stack[-size]
                children = value_stack[-size:]
                if size > 1:
                    del state_stack[1 - size :], value_stack[1 - size :], first_stack[1 - size :]
                value_stack[-1] = reducer(children if gather is None else gather(children), first, last)
                key = (action, state_stack[-2], kind)
                hop = afters.get(key)
                if hop is None:
                    hop = afters[key] = _pass(tables, steps, (key[1], goto[key[1]], kind))
                state_stack[-1], action = hop
            else:
                ops.append(~action)
                value_stack.append(reducer([] if gather is None else gather([]), index, last))
                first_stack.append(index)
                top = goto[state_stack[-1]]
                state_stack.append(top)
                action = actions[top].get(kind)
            if action is None:
                raise Bail(f"unexpected {kind}")
        state_stack.append(action)
        value_stack.append(index)
        first_stack.append(index)
        if ops and ops[-1] < 0:
            ops[-1] -= 1
        else:
            ops.append(-1)
        depth = max(depth, len(state_stack))
        if depth > limit:
            raise Bail("deep nesting")
    return Replay(tuple(ops), tuple(kinds[begin:end]), tuple(state_stack), depth)


# ---- tokens read as the parser goes ------------------------------------------------------------------------


def _parse_interleaved(
    tables: Tables, text: str, tokens: Tokens, steps: Sequence[Step], max_stack: int | None
) -> Any:
    """`parse` for a text where the master regex's token does not always fit: lark's contextual lexer reads
    those tokens, and the text is read on from the end of each."""
    actions = tables.actions
    passes = tables.passes
    afters = tables.afters
    keywords = tables.keywords
    absorber = tables.absorber
    ignore = tables.ignore
    comment = tables.comment
    limit = max_stack if max_stack is not None else len(text) + 2
    kinds = tokens.kinds.append
    texts = tokens.texts.append
    starts = tokens.starts.append
    lines = tokens.lines.append
    columns = tokens.columns.append

    state_stack = [tables.start]
    value_stack: list[Any] = []
    first_stack: list[int] = []  # per slot: the index of its first token
    line = 1
    line_start = 0
    index = 0  # of the token being read; all before it are on the stack
    resume: int | None = 0
    while resume is not None:
        offset, resume = resume, None
        for match in tables.pattern.finditer(text, offset):
            kind: str = match.lastgroup  # type: ignore[assignment]  # every alternative is a named group
            start = match.start()  # the token's own group opens the match; blanks after it close it
            value: str = match[kind]
            if kind in ignore:
                if kind == comment:
                    tokens.comments.append((value, start, line, start - line_start + 1))
                elif "\n" in value:
                    line += value.count("\n")
                    line_start = start + value.rindex("\n") + 1
                continue
            row = actions[state_stack[-1]]
            if kind == absorber:
                # lark's contextual lexer reads a keyword as a name where the parser cannot take the keyword
                keyword = keywords.get(value)
                if keyword is not None and keyword in row:
                    kind = keyword
            action = row.get(kind)
            if action is None:
                kind, value = _relex(tables, text, state_stack[-1], start, line, start - line_start + 1)
                action = row[kind]
                resume = start + len(value)
            kinds(kind)
            texts(value)
            starts(start)
            lines(line)
            columns(start - line_start + 1)
            last = index - 1  # the last token of every rule this token completes
            while action < 0:
                size, reducer, gather, goto = steps[~action]
                if reducer is None:
                    # one-child `?rule`s: the slot keeps its value and first token, only its state changes;
                    # where a chain of them leads depends on the states below and on top, and on the token
                    key = (state_stack[-2], state_stack[-1], kind)
                    hop = passes.get(key)
                    if hop is None:
                        hop = passes[key] = _pass(tables, steps, key)
                    state_stack[-1], action = hop
                elif size:
                    # the rule's slots become one: the first of them is overwritten (its first token is
                    # the rule's), the others dropped
                    first = first_stack[-size]
                    children = value_stack[-size:]
                    if size == 2:  # the commonest: pops are cheaper than slices
                        state_stack.pop()
                        value_stack.pop()
                        first_stack.pop()
                    elif size > 2:
                        del state_stack[1 - size :], value_stack[1 - size :], first_stack[1 - size :]
                    value_stack[-1] = reducer(children if gather is None else gather(children), first, last)
                    # the goto and the one-child reductions after it depend on the rule, the state below
                    # and the token
                    key = (action, state_stack[-2], kind)
                    hop = afters.get(key)
                    if hop is None:
                        hop = afters[key] = _pass(tables, steps, (key[1], goto[key[1]], kind))
                    state_stack[-1], action = hop
                else:
                    value_stack.append(reducer([] if gather is None else gather([]), index, last))
                    first_stack.append(index)
                    top = goto[state_stack[-1]]
                    state_stack.append(top)
                    action = actions[top].get(kind)
                if action is None:
                    raise Bail(f"unexpected {kind} at offset {start}")
            state_stack.append(action)
            value_stack.append(index)
            first_stack.append(index)
            index += 1
            if len(state_stack) > limit:
                raise Bail("deep nesting")
            if resume is not None:
                break  # the token was shorter than the regex's: read on from its end
    if line != text.count("\n") + 1:
        raise Bail("a token spanning lines")  # tokens' lines are counted only between tokens
    return _finish(tables, steps, state_stack, value_stack, first_stack, index)


def _finish(
    tables: Tables,
    steps: Sequence[Step],
    state_stack: list[int],
    value_stack: list[Any],
    first_stack: list[int],
    index: int,
) -> Any:
    """The reductions at the end of the text, and the value of the whole file."""
    actions = tables.actions
    while True:
        action = actions[state_stack[-1]].get("$END")
        if action is None or action >= 0:
            raise Bail("unexpected end of file")
        size, reducer, gather, goto = steps[~action]
        first = first_stack[-size] if size else index
        children = value_stack[-size:] if size else []
        if size:
            del state_stack[-size:], value_stack[-size:], first_stack[-size:]
        if reducer is None:
            value_stack.append(children[0])
        else:
            value_stack.append(reducer(children if gather is None else gather(children), first, index - 1))
        first_stack.append(first)
        state_stack.append(goto[state_stack[-1]])
        if state_stack[-1] == tables.end:
            return value_stack[-1]


def _pass(tables: Tables, steps: Sequence[Step], key: tuple[int, int, str]) -> tuple[int, int | None]:
    """Follow one-child reductions from state `top` over state `below` on token `kind`."""
    below, top, kind = key
    action = tables.actions[top].get(kind)
    while action is not None and action < 0 and steps[~action][1] is None:
        top = tables.gotos[~action][below]
        action = tables.actions[top].get(kind)
    return top, action


def _relex(tables: Tables, text: str, state: int, start: int, line: int, column: int) -> tuple[str, str]:
    """The token lark's contextual lexer reads at `start` in parser state `state`."""
    lexer_state = LexerThread.from_text(tables.contextual, text).state
    assert lexer_state is not None
    counter = lexer_state.line_ctr
    counter.char_pos, counter.line, counter.column = start, line, column
    counter.line_start_pos = start - column + 1
    try:
        token = tables.contextual.lexers[state].next_token(lexer_state)
    except (UnexpectedCharacters, EOFError):
        raise Bail(f"unexpected character at offset {start}") from None
    return token.type, str(token.value)
