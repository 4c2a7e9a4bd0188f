"""Combining the actions of many rules quickly: `combine` over a fixed set of actions, one bit per action.

A large ruleset fires dozens of rules per event, and most events fire a set of rules not seen before, so
the decision's actions are combined far more often than the few distinct sets of rules suggest. An
`ActionTable` numbers the distinct actions of a ruleset (equal actions share a number) so that a set of
actions is an int, and orders the numbers so that the combination is mostly read off the bits:

- dispositions by severity: the lowest set bit is the decision's disposition;
- account actions by severity: the lowest set bit, unless another one of the same rank (two `suspend`s)
  is set too, when `_stronger_account` picks between them as `combine` does;
- obligations in execution order, those that merge (the same kind and key) next to each other: the set
  bits in order are the decision's obligations, runs of one key merged as `combine` merges them.

`combine` (engine/decision.py) stays the definition; a property test holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Iterable

from ruleward.engine.bits import set_bits
from ruleward.engine.decision import NO_ACCOUNT_ACTION, Action, ParamValue, _merge_into, _stronger_account

Combined = tuple[str, Action, tuple[Action, ...]]

_CATEGORY_ORDER = {"disposition": 0, "account": 1}  # anything else combines as an obligation
_CACHE_BOUND = 4096  # as `Plan`'s: a bound, not an LRU


class ActionTable:
    """The distinct actions of a ruleset, numbered for `combine_mask`; `mask` gives a set's bits."""

    def __init__(self, actions: Iterable[Action]) -> None:
        distinct = sorted(set(actions), key=_order)
        self.actions = distinct
        self.bit = {action: i for i, action in enumerate(distinct)}
        self.dispositions = 0
        self.accounts = 0
        self.obligations = 0
        # account actions of one rank, obligations that merge into one (one kind and key): a bit mask each
        peers: dict[tuple[object, ...], int] = {}
        for i, action in enumerate(distinct):
            category = _CATEGORY_ORDER.get(action._category, 2)
            if category == 0:
                self.dispositions |= 1 << i
            elif category == 1:
                self.accounts |= 1 << i
            else:
                self.obligations |= 1 << i
            peers[_peer_key(action)] = peers.get(_peer_key(action), 0) | 1 << i
        self.peers = [peers[_peer_key(action)] for action in distinct]
        self._combined: dict[int, Combined] = {}
        self._merged: dict[int, Action] = {}

    def mask(self, actions: Iterable[Action]) -> int:
        bits = 0
        for action in actions:
            bits |= 1 << self.bit[action]
        return bits

    def combine_mask(self, mask: int) -> Combined:
        """`combine` of the actions whose bits are set in `mask`; cached per mask."""
        found = self._combined.get(mask)
        if found is not None:
            return found
        dispositions = mask & self.dispositions
        disposition = (
            self.actions[(dispositions & -dispositions).bit_length() - 1].kind if dispositions else "allow"
        )
        account = NO_ACCOUNT_ACTION
        accounts = mask & self.accounts
        if accounts:
            first = (accounts & -accounts).bit_length() - 1
            tied = accounts & self.peers[first]
            if tied == 1 << first:
                account = self.actions[first]
            else:  # e.g. two `suspend`s
                for i in set_bits(tied):
                    account = _stronger_account(account, self.actions[i])
        obligations: list[Action] = []
        done = 0
        for i in set_bits(mask & self.obligations):
            if done >> i & 1:
                continue  # merged into the first of its kind and key
            run = mask & self.peers[i]
            done |= run
            obligations.append(self.actions[i] if run == 1 << i else self._merge(run))
        found = (disposition, account, tuple(obligations))
        if len(self._combined) < _CACHE_BOUND:
            self._combined[mask] = found
        return found

    def _merge(self, run: int) -> Action:
        merged = self._merged.get(run)
        if merged is None:
            first, *others = (self.actions[i] for i in set_bits(run))
            params: dict[str, ParamValue] = dict(first.params)
            for other in others:
                _merge_into(params, other.params, other._merge)
            merged = first if params == first.params else Action(first.kind, params)
            if len(self._merged) < _CACHE_BOUND:
                self._merged[run] = merged
        return merged


def _order(action: Action) -> tuple[object, ...]:
    category = _CATEGORY_ORDER.get(action._category, 2)
    if category < 2:
        return (category, action._rank, _spelling(action))
    # obligations in the order `combine` gives them, those of one key next to each other
    return (category, action._rank, action._key[1], action.kind, _spelling(action))


def _spelling(action: Action) -> tuple[tuple[str, str], ...]:
    return tuple((name, repr(value)) for name, value in action._dict.items())


def _peer_key(action: Action) -> tuple[object, ...]:
    """Account actions of one rank share it, as do obligations that merge into one; dispositions are alone."""
    category = _CATEGORY_ORDER.get(action._category, 2)
    if category == 0:
        return (0, action.kind)
    if category == 1:
        return (1, action._rank)
    return (2, action._key)


__all__ = ["ActionTable", "Combined"]
