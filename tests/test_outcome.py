"""`Plan.outcome`: the shared part of a decision, however it is computed, is the one `combine` defines.

`Plan.outcome` combines the actions of a set of fired rules through masks of action bits and caches the
result per mask; the property here holds it to the plain definition: every action of every fired
enforce-mode rule (and the fallback's when asked) folded by `combine`, the matched rules in name order,
the shadow rules by name. The ruleset has actions that merge (priorities, deadlines, retention), account
actions that tie (two suspensions), actions spelled alike in several rules, and shadow-mode rules.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_compiler_properties import build

from ruleward.engine.action_table import ActionTable
from ruleward.engine.decision import Action, combine
from ruleward.engine.ruleset import Plan

ACTIONS = [
    "block",
    "hold",
    "label",
    "allow",
    "ban",
    "suspend",
    "suspend(days: 7)",
    "suspend(days: 30)",
    "suspend(days: 400)",
    "warn",
    "strike",
    'review(queue: "child_safety", priority: P1)',
    'review(queue: "child_safety", priority: P2, sla: 4)',
    'review(queue: "child_safety", priority: P3, sla: 1)',
    'review(queue: "signals_retry", priority: P2)',
    "preserve(days: 90)",
    "preserve(days: 365)",
    'report(to: "ncmec")',
    'report(to: "iwf")',
    "takedown_timer(hours: 24)",
    "takedown_timer(hours: 1)",
    'tag(name: "a")',
    'tag(name: "b")',
    "block_copies",
]


def _ruleset(choices: list[list[int]], shadow: list[bool]) -> Plan:
    rules = []
    for i, (picked, is_shadow) in enumerate(zip(choices, shadow, strict=True)):
        mode = "\n  mode shadow" if is_shadow else ""
        then = ", ".join(ACTIONS[k] for k in picked)
        rules.append(f'rule r{i:02d}\n  tier t\n  cite "c"{mode}\n  when surface == "s{i}"\n  then {then}')
    header = 'ruleset t version "1" owner "o" fallback hold, review(queue: "signals_retry", priority: P1)'
    return build({"t.rw": header + "\n\n" + "\n\n".join(rules) + "\n"})


def _expected(plan: Plan, fired: int, fallback: bool) -> tuple[object, ...]:
    enforced = [r for r in plan.rules if fired >> r.index & 1 and not r.shadow]
    actions: list[Action] = [a for r in enforced for a in r.actions]
    if fallback:
        actions += plan.fallback
    disposition, account, obligations = combine(actions)
    shadow = tuple(r.name for r in plan.rules if fired >> r.index & 1 and r.shadow)
    return (
        disposition,
        account.to_dict(),
        [o.to_dict() for o in obligations],
        [r.name for r in enforced],
        shadow,
    )


rulesets = st.integers(2, 12).flatmap(
    lambda size: st.tuples(
        st.lists(
            st.lists(st.integers(0, len(ACTIONS) - 1), min_size=1, max_size=4), min_size=size, max_size=size
        ),
        st.lists(st.booleans(), min_size=size, max_size=size),
    )
)


@settings(max_examples=40, deadline=None)
@given(rulesets, st.lists(st.tuples(st.integers(0, (1 << 12) - 1), st.booleans()), min_size=1, max_size=12))
def test_outcome_is_the_combination_of_the_fired_rules_actions(
    ruleset: tuple[list[list[int]], list[bool]], sets: list[tuple[int, bool]]
) -> None:
    plan = _ruleset(*ruleset)
    for fired, fallback in sets:
        fired &= (1 << len(plan.rules)) - 1
        for _ in range(2):  # computed, then from the caches
            outcome = plan.outcome(fired, fallback)
            got = (
                outcome.disposition,
                outcome.account_action.to_dict(),
                [o.to_dict() for o in outcome.obligations],
                [m.rule for m in outcome.matched],
                outcome.shadow,
            )
            assert got == _expected(plan, fired, fallback)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ACTIONS), max_size=8), min_size=1, max_size=6))
def test_an_action_table_combines_as_combine_does(sets: list[list[str]]) -> None:
    plan = _ruleset([[ACTIONS.index(a)] for a in ACTIONS], [False] * len(ACTIONS))
    spelled = {ACTIONS[rule.index]: rule.actions[0] for rule in plan.rules}
    table = ActionTable(spelled.values())
    for chosen in sets:  # several sets through one table: its caches must not mix them up
        actions = [spelled[a] for a in chosen]
        disposition, account, obligations = table.combine_mask(table.mask(actions))
        expected = combine(actions)
        assert (disposition, account.to_dict(), [o.to_dict() for o in obligations]) == (
            expected[0],
            expected[1].to_dict(),
            [o.to_dict() for o in expected[2]],
        )
