"""A rule family (engine/families.py) written into the generated function as a table.

The code a family compiles to, in order:

    _cand = <every row's bit>
    <each key, while rows remain: look the event's value up, keep the rows it may satisfy (`_cand &= ...`);
     a value of an unexpected type, or a failure computing it, sets `_dirty`; an unknown one clears `_sure`>
    if _dirty: _cand = <every row's bit>           # let each row's own code find the exact result
    elif _sure: _fired |= _cand; _cand = 0         # only when the keys are the whole `when`
    for _i in _bits(_cand):                        # the rows left, in rule order
        _b, _p0, _p1, ... = _ROWS[_i]              # the row's bit and literals
        <the template rule, its literals read from the row>
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ruleward.engine import runtime as rt
from ruleward.engine.families import Combined, Family, Key, Tree, bisector
from ruleward.engine.ruleset import Shape

if TYPE_CHECKING:
    from ruleward.engine.compiler import _Generator


class TableWriter:
    def __init__(self, generator: _Generator, family: Family) -> None:
        self.gen = generator
        self.family = family

    def write(self) -> None:
        gen, family = self.gen, self.family
        template = family.template
        slots: dict[int, str] = {}
        list_slots: dict[int, tuple[str, str]] = {}
        names: list[str] = []
        for position, param in enumerate(family.params):
            if param.kind == "list":
                pair = (f"_p{position}s", f"_p{position}l")
                list_slots[id(param.node)] = pair
                names += pair
            else:
                slots[id(param.node)] = f"_p{position}"
                names.append(f"_p{position}")
        rows: dict[int, tuple[object, ...]] = {}
        for rule in family.rules:
            row: list[object] = [1 << rule.index]
            for param, value in zip(family.params, family.values[rule.index], strict=True):
                if param.kind == "list":
                    assert isinstance(value, tuple)
                    row += [frozenset(item for item in value if isinstance(item, str)), list(value)]
                elif param.kind == "label":
                    assert isinstance(value, str)
                    row.append(gen.memo(value))
                else:
                    row.append(value)
            rows[rule.index] = tuple(row)
        label = f"family {template.name}"
        table = gen.constant("ROWS", rows, key=label)
        every = gen.constant("M", family.mask, key=label)
        gen.emit(
            f"# {len(family.rules)} rules like {template.name!r}, line {template.rule.span.line}: "
            f"one template, rows chosen by {len(family.keys)} lookups"
        )
        gen.emit(f"_cand = {every}")
        if family.keys:
            gen.emit("_dirty = False")
            gen.emit("_sure = True")
            for key in family.keys:
                gen.emit("if _cand:")
                with gen.block():
                    self.key(key)
            gen.emit(f"if _dirty: _cand = {every}")
            if family.exact:
                gen.emit("elif _sure:")
                with gen.block():
                    gen.emit("_fired |= _cand")
                    gen.emit("_cand = 0")
        gen.emit("for _i in _bits(_cand):")
        with gen.block():
            gen.emit(f"_b, {', '.join(names)} = {table}[_i]" if names else f"_b = {table}[_i][0]")
            gen.family, gen.slots, gen.list_slots = family, slots, list_slots
            try:
                gen.rule(template, row=True)
            finally:
                gen.family, gen.slots, gen.list_slots = None, {}, {}

    # -- keys --

    def key(self, key: Key) -> None:
        gen = self.gen
        gen.emit(f"# lookup: {rt.snippet(key.conjunct.span, gen.plan.texts)}")
        gen.emit("try:")
        with gen.block():
            if key.kind == "shared":
                value = gen.bind(gen.truth(key.conjunct, {}))
                gen.emit(f"if {value} is False: _cand = 0")
                gen.emit(f"elif {value} is None: _sure = False")
            elif key.kind == "any":
                self.any_key(key)
            elif key.kind == "rule":
                self.rule_key(key)
            elif key.label >= 0:
                self.label_key(key)
            else:
                assert key.subject is not None
                value = gen.bind(gen.value(key.subject, {})[0])
                self.lookup(key, value, "_cand &= {}", "_cand = 0")
                gen.emit(f"elif {value} is _U: _sure = False")
                gen.emit("else: _dirty = True")
        gen.emit("except _Exception:")
        with gen.block():
            gen.emit("_dirty = True")

    def lookup(self, key: Key, value: str, keep: str, none: str | None) -> None:
        """`if` branches keeping the rows `value` may satisfy (`keep` formats the mask), and what an absent
        value does (`none`; None: nothing); the caller adds the branches for other values."""
        gen = self.gen
        if key.kind in ("equal", "member"):
            table = gen.constant("T", key.table)
            gen.emit(f"if {value}.__class__ is _str: {keep.format(f'{table}.get({value}, 0)')}")
        elif key.kind == "contains":
            table = gen.constant("T", key.table)
            gen.emit(f"if {value}.__class__ is _list:")
            with gen.block():
                gen.emit("_m = 0")
                gen.emit(f"for _x in {value}:")
                with gen.block():
                    gen.emit(f"if _x.__class__ is _str: _m |= {table}.get(_x, 0)")
                    gen.emit("else: _dirty = True")
                gen.emit(keep.format("_m"))
        else:
            thresholds, masks, _ = key.thresholds[None]
            find = f"_bisect_{bisector(key.op or '>=')}"
            sorted_at = gen.constant("TS", thresholds)
            passing = gen.constant("PM", masks)
            number = f"{value}.__class__ is _int or ({value}.__class__ is _float and {value} == {value})"
            gen.emit(f"if {number}: {keep.format(f'{passing}[{find}({sorted_at}, {value})]')}")
        if none is not None:
            gen.emit(f"elif {value} is None: {none}")

    def label_key(self, key: Key) -> None:
        """`max_score(label) >= threshold`: per label, its thresholds sorted; the scores computed once."""
        gen = self.gen
        find = f"_bisect_{bisector(key.op or '>=')}"
        labels = tuple(
            (gen.memo(label), thresholds, masks, every)
            for label, (thresholds, masks, every) in key.thresholds.items()
            if label is not None
        )
        table = gen.constant("LT", labels)
        gen.compute_scores()
        gen.emit("_m = 0")
        gen.emit(f"for _k, _ts, _pm, _all in {table}:")
        with gen.block():
            gen.emit("_kv = _ms[_k]")  # a number, absent, unknown, or the TypeError of a bad score
            gen.emit(f"if _kv.__class__ is _int or _kv.__class__ is _float: _m |= _pm[{find}(_ts, _kv)]")
            gen.emit("elif _kv is _U:")
            with gen.block():
                gen.emit("_m |= _all")
                gen.emit("_sure = False")
            gen.emit("elif _kv is not None: _dirty = True")
        gen.emit("_cand &= _m")

    def rule_key(self, key: Key) -> None:
        """`not r` / `r` with `r` another rule per row: the true ones fired, `_unk` has the unknown ones and
        `_err` the failed ones (reading one raises its error: every row must then run)."""
        gen = self.gen
        every = 0
        for referred in key.referring:
            every |= 1 << referred
        referred_mask = gen.constant("M", every)
        referring = gen.constant("RR", dict(key.referring))
        # `r`: rows whose `r` fired or is unknown; `not r`: all but the rows whose `r` fired
        source = "_fired" if key.negated else "(_fired | _unk)"
        gen.emit("_m = 0")
        gen.emit(f"for _j in _bits({source} & {referred_mask}): _m |= {referring}[_j]")
        gen.emit("_cand &= ~_m" if key.negated else "_cand &= _m")
        gen.emit(f"if _unk & {referred_mask}: _sure = False")
        gen.emit(f"if _err & {referred_mask}: _dirty = True")  # reading a rule that failed raises its error

    def any_key(self, key: Key) -> None:
        """`any x in list where <lookups on x>`: the rows any item may satisfy."""
        gen = self.gen
        assert key.source is not None and key.variable is not None and key.inner is not None
        source_code, shape = gen.value(key.source, {})
        source = gen.bind(source_code)
        gen.emit(f"if {source} is _U: _sure = False")
        gen.emit(f"elif {source} is None: _cand = 0")
        gen.emit(f"elif {source}.__class__ is _list:")
        with gen.block():
            gen.emit("_m = 0")
            gen.emit(f"for _it in {source}:")
            with gen.block():
                gen.emit("if _it.__class__ is not _dict:")
                with gen.block():
                    gen.emit("_dirty = True")
                    gen.emit("break")
                scope = {key.variable: ("_it", shape.element)}
                gen.emit(f"_m |= {self.item_rows(key.inner, scope)}")
            gen.emit("_cand &= _m")
        gen.emit("else: _dirty = True")

    def item_rows(self, tree: Tree, scope: dict[str, tuple[str, Shape]]) -> str:
        """An expression for the rows an item may satisfy; each lookup computed into a local first (an
        unexpected value breaks out of the loop over items, dirty)."""
        gen = self.gen
        if isinstance(tree, Combined):
            parts = [self.item_rows(part, scope) for part in tree.parts]
            return "(" + (" & " if tree.kind == "and" else " | ").join(parts) + ")"
        assert tree.subject is not None
        value = gen.bind(gen.value(tree.subject, scope)[0])
        rows = gen.tmp()
        self.lookup(tree, value, f"{rows} = {{}}", f"{rows} = 0")
        gen.emit("else:")
        with gen.block():
            gen.emit("_dirty = True")
            gen.emit("break")
        return rows


__all__ = ["TableWriter"]
