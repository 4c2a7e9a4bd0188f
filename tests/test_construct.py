"""`construct.constructor`: the parser's fast way in makes the very objects `__init__` makes."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruleward.dsl import nodes as n
from ruleward.dsl.construct import constructor
from ruleward.dsl.source import Span

NODE_CLASSES = sorted(
    (
        c
        for c in vars(n).values()
        if inspect.isclass(c) and issubclass(c, n.Node) and c is not n.Node and dataclasses.is_dataclass(c)
    ),
    key=lambda c: c.__name__,
)


def _arguments(cls: type) -> tuple[list[str], list[str]]:
    fields = dataclasses.fields(cls)
    return [f.name for f in fields if not f.kw_only], [f.name for f in fields if f.kw_only]


@pytest.mark.parametrize("cls", [Span, *NODE_CLASSES], ids=lambda c: c.__name__)
def test_a_constructor_makes_what_init_makes(cls: type) -> None:
    positional, keywords = _arguments(cls)
    # a distinct object per field, so a field set from the wrong argument shows
    values = {name: (name, i) for i, name in enumerate([*positional, *keywords])}
    made = constructor(cls)(*(values[name] for name in [*positional, *keywords]))
    expected = cls(*(values[name] for name in positional), **{k: values[k] for k in keywords})
    assert type(made) is cls
    assert made == expected
    assert repr(made) == repr(expected)
    for name, value in values.items():
        assert getattr(made, name) == value
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, positional[0] if positional else keywords[0], None)


@given(st.text(max_size=5), st.lists(st.integers(0, 10**6), min_size=6, max_size=6))
def test_spans_made_either_way_are_equal_and_hash_alike(file: str, numbers: list[int]) -> None:
    made = constructor(Span)(file, *numbers)
    expected = Span(file, *numbers)
    assert made == expected and hash(made) == hash(expected)
    assert str(made) == str(expected) and made.to_dict() == expected.to_dict()


def test_nodes_made_either_way_compare_without_their_spans() -> None:
    span = Span("f", 1, 2, 1, 5, 1, 4)
    made = constructor(n.Compare)("==", n.Name("a"), n.Literal(1), span)
    assert made == n.Compare("==", n.Name("a"), n.Literal(1))
    assert made.span == span
    assert hash(made) == hash(n.Compare("==", n.Name("a"), n.Literal(1)))
    assert dataclasses.replace(made, op="!=").span == span


def test_only_slotted_dataclasses_without_post_init_are_accepted() -> None:
    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        x: int
        y: int = dataclasses.field(init=False, default=0)

    for cls in (Unslotted, Checked, Derived, int):
        with pytest.raises(TypeError):
            constructor(cls)
