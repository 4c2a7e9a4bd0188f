"""Rule families (engine/families.py, engine/tables.py): many rules of one shape compiled as a table.

- differential: rulesets made of families (each row the same template with other literals, keys and
  non-keys, conjuncts that can raise, rows referring to rules outside their family) decide every event as
  the reference interpreter does, errors with their messages and spans included;
- an error in a row names the row's own expression and line, not the template's;
- what is a family and what is a key: shapes split by the literals that compile differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_compiler_properties import _decide, _run_interpreter, build, events, stable

from ruleward.bench.generate import generate_ruleset
from ruleward.engine import Engine
from ruleward.engine.compiler import compile_plan
from ruleward.engine.families import MIN_FAMILY, find_families, schedule
from ruleward.engine.interpreter import Interpreter

# a conjunct of a template: `{N}` a number, `{S}` a string, `{L}` a list of strings, `{A}` a label, `{R}` a
# rule outside the family; keys and non-keys, some that raise on values of the wrong type
CONJUNCTS = [
    "actor.active_strikes >= {N}",
    "{N} < actor.active_strikes",
    "content.width <= {N}",
    "context.n > {N}",
    "max_score({A}) >= {N}",
    "max_score({A}) < {N}",
    "surface == {S}",
    "{S} == actor.age_band",
    "provenance.validation_state == {S}",
    "context.s == {S}",
    "surface in {L}",
    "context.s in {L}",
    "provenance.digital_source_types contains {S}",
    "jurisdictions contains {S}",
    "provenance is present",
    "hash_matches is not empty",
    "actor.prior_confirmed_csam",
    "any m in hash_matches where m.bank in {L} and m.distance <= {N}",
    "any m in hash_matches where m.algorithm == {S}",
    "any m in hash_matches where m.distance > {N} or m.bank in {L}",
    "any c in classifiers where c.score >= {N} and c.label == {A}",
    "not {R}",
    "{R}",
    "(surface == {S} or actor.active_strikes > {N})",
    "actor.active_strikes != {N}",
    "reports is empty",
    "context.s >= {N}",
]
NUMBERS = ["0.5", "0.9", "3", "31", "-1", "2.5", "7", "0.25"]
STRINGS = [
    '"upload"',
    '"livestream"',
    '"invalid"',
    '"adult"',
    '"pdq"',
    '"US"',
    '"GB"',
    '"digitalCapture"',
    '"a"',
]
LISTS = ['["upload", "public_post"]', '["iwf", "lantern"]', '["ncmec_industry"]', '["a", "US"]', "banks"]
LABELS = ['"csam"', '"sexual"', '"minor_presence"']
ACTIONS = ["block", "hold", "label", "warn", 'review(queue: "q1", priority: P2)', 'report(to: "ncmec")']


def fill(draw: st.DrawFn, template: str, refs: list[str]) -> str:
    out = template
    for mark, options in (("{N}", NUMBERS), ("{S}", STRINGS), ("{L}", LISTS), ("{A}", LABELS), ("{R}", refs)):
        while mark in out:
            out = out.replace(mark, draw(st.sampled_from(options)), 1)
    return out


@st.composite
def family_rulesets(draw: st.DrawFn) -> list[str]:
    out = [
        'ruleset gen version "1" owner "t" fallback hold, review(queue: "signals_retry", priority: P2)',
        'list banks = ["ncmec_industry", "iwf", "thorn_csam"]',
    ]
    pools: list[list[str]] = []  # rules a row may refer to: a pool's rules share a shape, so rows do too
    for i in range(draw(st.integers(1, 2))):
        when = fill(draw, draw(st.sampled_from(CONJUNCTS[:21])), ["true"])
        out.append(f'rule s{i}\n  tier t\n  cite "c"\n  when {when}\n  then {draw(st.sampled_from(ACTIONS))}')
        pools.append([f"s{i}"])
    for f in range(draw(st.integers(1, 2))):
        refs = draw(st.sampled_from(pools))
        conjuncts = draw(st.lists(st.sampled_from(CONJUNCTS), min_size=1, max_size=4))
        if f:  # a shape of its own, or it could merge with a family it refers to (and be no family)
            conjuncts.append(f'content.mime != "family {f}"')
        unless = draw(st.sampled_from([None, None, None, "surface == {S}", "context.n > {N}"]))
        shadow = draw(st.booleans()) and draw(st.booleans())
        rows = draw(st.integers(MIN_FAMILY, MIN_FAMILY + 4))
        names = []
        for r in range(rows):
            name = f"f{f}_{r:02d}"
            parts = [f"rule {name}", "tier t", 'cite "c"', *(["mode shadow"] if shadow else [])]
            parts.append("when " + " and ".join(fill(draw, c, refs) for c in conjuncts))
            if unless is not None:
                parts.append("unless " + fill(draw, unless, refs))
            parts.append(f"then {draw(st.sampled_from(ACTIONS))}")
            out.append("\n  ".join(parts))
            names.append(name)
        pools.append(names)  # a later family may refer to this one's rows
    return out


def check_agreement(decls: list[str], sample: list[Any]) -> str:
    plan = build({"gen.rw": "\n\n".join(decls) + "\n"})
    compiled = compile_plan(plan)
    interpreter = Interpreter(plan)
    for event in sample:
        decision = _decide(plan, event, compiled.run)
        expected = stable(_decide(plan, event, lambda d: _run_interpreter(interpreter, d)))
        assert stable(decision) == expected, (compiled.source, event)
    return compiled.source


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family_rulesets(), st.lists(events(), min_size=1, max_size=10))
def test_families_decide_as_the_interpreter_does(decls: list[str], sample: list[Any]) -> None:
    source = check_agreement(decls, sample)
    assert "one template" in source  # the rows of one template did become a table


def test_generated_thousand_rules_decide_as_the_interpreter_does(tmp_path: Path) -> None:
    from ruleward.bench.corpus import make_corpus

    path = tmp_path / "g.rw"
    path.write_text(generate_ruleset(1000), encoding="utf-8")
    engine = Engine.load(path)
    assert engine.generated_source.count("one template") == 5  # the five rule shapes, 200 rows each
    for event in make_corpus(150, 7):
        assert stable(engine.evaluate(event)) == stable(engine.interpret(event))


def test_an_error_in_a_row_names_that_rows_line(tmp_path: Path) -> None:
    rules = [
        f'rule r{i}\n  tier t\n  cite "c"\n  when surface == "upload" and context.n >= {i + 2}\n  then block'
        for i in range(MIN_FAMILY + 1)
    ]
    text = 'ruleset t version "1" owner "o"\n\n' + "\n\n".join(rules) + "\n"
    path = tmp_path / "t.rw"
    path.write_text(text, encoding="utf-8")
    engine = Engine.load(path)
    assert "one template" in engine.generated_source
    decision = engine.evaluate({"event_id": "e", "surface": "upload", "context": {"n": "many"}})
    assert decision.disposition == "hold"  # the fallback: an error never passes as a clean `allow`
    lines = {e.rule: e.span.line for e in decision.errors if e.span is not None}
    assert len(lines) == MIN_FAMILY + 1
    for i in range(MIN_FAMILY + 1):
        expected = text[: text.index(f"context.n >= {i + 2}")].count("\n") + 1
        assert lines[f"r{i}"] == expected
    assert stable(decision) == stable(
        engine.interpret({"event_id": "e", "surface": "upload", "context": {"n": "many"}})
    )


def test_families_split_by_literals_that_compile_differently() -> None:
    rows = [
        f'rule a{i}\n  tier t\n  cite "c"\n  when actor.active_strikes >= {n}\n  then warn'
        for i, n in enumerate(["3", "4", "5", "6", "7", "8", "1"])
    ]
    bools = [
        f'rule b{i}\n  tier t\n  cite "c"\n  when actor.prior_confirmed_csam == {v}\n  then warn'
        for i, v in enumerate(["true", "false"] * 4)
    ]
    plan = build({"t.rw": 'ruleset t version "1" owner "o"\n\n' + "\n\n".join(rows + bools) + "\n"})
    unknown = {rule.name: False for rule in plan.rules}
    families = find_families(plan, unknown)
    # `>= 1` compiles apart from other numbers (1 == true is not so in the language); `true` from `false`
    assert sorted(len(f.rules) for f in families) == [6]
    (family,) = families
    assert [key.kind for key in family.keys] == ["order"] and family.exact


def _family(whens: list[str], *extra: str) -> list[str]:
    header = 'ruleset gen version "1" owner "t" fallback hold, review(queue: "signals_retry", priority: P2)'
    rows = [
        f'rule f{i:02d}\n  tier t\n  cite "c"\n  when {when}\n  then block' for i, when in enumerate(whens)
    ]
    return [header, *extra, *rows]


SURFACES = ["upload", "livestream", "public_post", "upload", "direct_message", "upload"]
BANKS = [f'["iwf", "b{i}"]' for i in range(MIN_FAMILY)]


@pytest.mark.parametrize(
    ("whens", "event"),
    [
        # a string or a number used as a condition raises: a later key must not drop the row
        ([f'"x{i}" and surface == "{s}"' for i, s in enumerate(SURFACES)], {"surface": "zzz"}),
        ([f'{i + 2} and surface == "{s}"' for i, s in enumerate(SURFACES)], {"surface": "zzz"}),
        # an `any` whose lookups pass may still raise on the rest of its body: the next key hides nothing
        (
            [
                f'(any m in hash_matches where m.bank in {b} and m.entry_deleted) and surface == "{s}"'
                for b, s in zip(BANKS, SURFACES, strict=True)
            ],
            {"hash_matches": [{"bank": "iwf", "entry_deleted": "yes"}], "surface": "zzz"},
        ),
        # the same inside the body: a part of `and` after one that may raise rules no item out
        (
            [
                "any m in hash_matches where ((m.bank in "
                f'{b} and m.entry_deleted) or m.algorithm == "pdq") and m.quality >= {50 + i}'
                for i, b in enumerate(BANKS)
            ],
            {"hash_matches": [{"bank": "iwf", "entry_deleted": "yes", "algorithm": "x", "quality": 0}]},
        ),
    ],
)
def test_a_row_is_dropped_only_when_nothing_before_its_false_part_can_raise(
    whens: list[str], event: dict[str, Any]
) -> None:
    source = check_agreement(_family(whens), [event])
    assert "one template" in source


def test_max_score_of_a_named_label_or_of_a_number_in_a_family() -> None:
    labels = ["csam", "sexual", "minor_presence", "csam", "sexual", "csam"]
    constants = [f'const k{i} = "{label}"' for i, label in enumerate(labels)]
    named = _family([f"max_score(k{i}) >= 0.{i + 1}" for i in range(MIN_FAMILY)], *constants)
    # ill-typed, but the row's number must not be read as a place among the scores (another label's score)
    others = [
        f'rule s{i}\n  tier t\n  cite "c"\n  when max_score("{label}") >= 2\n  then warn'
        for i, label in enumerate(["csam", "sexual", "minor_presence", "nudity"])
    ]
    numbered = _family([f"max_score(1) >= 0.{i + 1}" for i in range(MIN_FAMILY)], *others)
    sample: list[Any] = [
        {"classifiers": [{"label": "csam", "score": 0.9}, {"label": "sexual", "score": 0.9}]},
        {"classifiers": [{"label": "csam", "score": "high"}]},
        {},
    ]
    for decls in (named, numbered):
        assert "one template" in check_agreement(decls, sample)


def test_a_shadowed_quantifier_variable_is_the_inner_one_in_a_shape() -> None:
    inner = [
        f'any m in hash_matches where any m in reports where m.bank == "b{i}"' for i in range(MIN_FAMILY)
    ]
    outer = [
        f'any m in hash_matches where any n in reports where m.bank == "b{i}"' for i in range(MIN_FAMILY)
    ]
    decls = _family(inner + outer)
    plan = build({"gen.rw": "\n\n".join(decls) + "\n"})
    families = find_families(plan, {rule.name: False for rule in plan.rules})
    assert sorted(len(f.rules) for f in families) == [MIN_FAMILY, MIN_FAMILY]  # not one family of both
    event = {"hash_matches": [{"bank": f"b{i}"} for i in range(2 * MIN_FAMILY)], "reports": [{"source": "u"}]}
    check_agreement(decls, [event])


def test_a_string_holding_the_scores_mark_is_compared_as_written() -> None:
    # the generated code marks where the scores are unpacked; a string in the ruleset may spell that mark
    rows = [f'max_score("csam") >= 0.{i + 1}' for i in range(MIN_FAMILY)]
    decls = _family([*rows, 'surface == "<scores>"', 'surface in ["<scores>", "x"]'])
    sample: list[Any] = [{"surface": "<scores>"}, {"surface": "<scores>", "classifiers": []}]
    assert "one template" in check_agreement(decls, sample)
    plan = build({"gen.rw": "\n\n".join(decls) + "\n"})
    fired, _ = compile_plan(plan).run({"surface": "<scores>", "classifiers": []})
    assert fired == 0b11 << MIN_FAMILY  # both rules on the string fired


def test_families_are_scheduled_after_what_their_rows_refer_to() -> None:
    # the last row refers to a rule that sorts after the first row, through a condition: the family runs
    # after both; a quantifier variable spelled like a rule is the variable, not a reference
    early = 'rule a_early\n  tier t\n  cite "c"\n  when surface == "upload"\n  then warn'
    late = 'rule z_late\n  tier t\n  cite "c"\n  when c_late and surface == "livestream"\n  then warn'
    condition = 'condition c_late = any f00 in reports where f00.source == "u"'
    refs = ["a_early"] * (MIN_FAMILY - 1) + ["z_late"]
    rows = _family([f"{ref} and actor.active_strikes >= {i + 2}" for i, ref in enumerate(refs)])
    decls = [*rows, early, late, condition]
    plan = build({"gen.rw": "\n\n".join(decls) + "\n"})
    families = find_families(plan, {rule.name: False for rule in plan.rules})
    assert [len(f.rules) for f in families] == [MIN_FAMILY]
    units = schedule(plan, families)
    assert units is not None
    names = [unit[1] if isinstance(unit, tuple) else unit.template.name for unit in units]
    assert names.index("c_late") < names.index("z_late") < names.index("f00")
    assert plan.dependencies["z_late"] == {"c_late"} and plan.dependencies["c_late"] == set()
    event = {"surface": "livestream", "actor": {"active_strikes": 9}, "reports": [{"source": "u"}]}
    check_agreement(decls, [event, {"surface": "upload", "actor": {"active_strikes": 3}}])


def test_a_family_too_deep_for_its_row_loop_compiles_rule_by_rule() -> None:
    # 19 nested quantifiers in a rule's `try` are as deep as Python allows; a row loop would be one more
    def nested(source: str, depth: int) -> str:
        body = f"any x in reports where x.source == {source}"
        for i in range(depth - 1):
            body = f"any v{i} in reports where ({body})"
        return body

    sample = [{"reports": [{"source": "s3"}]}, {"reports": []}, {"reports": [{"source": 1}]}]
    shallower = _family([nested(f'"s{i}"', 18) for i in range(MIN_FAMILY + 2)])
    assert "one template" in check_agreement(shallower, sample)  # these rules do make a family
    deep = _family([nested(f'"s{i}"', 19) for i in range(MIN_FAMILY + 2)])
    assert "one template" not in check_agreement(deep, sample)  # single rules, not refused as too complex
