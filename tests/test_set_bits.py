"""`set_bits`: the rule indexes of a fired mask, the same for narrow and wide masks, lowest first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ruleward.engine.bits import set_bits


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 2100) - 1))
def test_set_bits_lists_every_set_bit_in_order(mask: int) -> None:
    assert set_bits(mask) == [i for i in range(mask.bit_length()) if mask >> i & 1]


@settings(deadline=None)
@given(st.lists(st.integers(0, 5000), unique=True))
def test_set_bits_round_trips_a_set_of_indexes(indexes: list[int]) -> None:
    mask = 0
    for index in indexes:
        mask |= 1 << index
    assert set_bits(mask) == sorted(indexes)
