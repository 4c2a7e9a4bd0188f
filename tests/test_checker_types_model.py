"""The type model built from pydantic models (dsl/types.py), which the checker types rules against."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, Field

from ruleward.dsl import types as t
from ruleward.dsl.vocabulary import ACCOUNT_ACTIONS, DISPOSITIONS, OBLIGATION_ORDER
from ruleward.engine.events import ModerationEvent


def test_moderation_event_fields_and_signals() -> None:
    event = t.from_model(ModerationEvent)
    signals = {name for name, f in event.fields.items() if f.signal}
    assert signals == {"hash_matches", "classifiers", "provenance"}
    surface = event.fields["surface"].type
    assert isinstance(surface, t.StringType) and surface.values is not None and "livestream" in surface.values
    assert not surface.ordered
    assert isinstance(event.fields["occurred_at"].type, t.TimestampType)
    assert isinstance(event.fields["context"].type, t.MapType)
    assert event.fields["hash_matches"].optional and not event.fields["reports"].optional


def test_nested_models_bounds_and_optional() -> None:
    matches = t.from_model(ModerationEvent).fields["hash_matches"].type
    assert isinstance(matches, t.ListType) and isinstance(matches.element, t.ObjectType)
    distance = matches.element.fields["distance"]
    assert distance.optional
    assert distance.type == t.NumberType(integer=True, minimum=0, maximum=256)
    score = t.from_model(ModerationEvent).fields["classifiers"].type
    assert isinstance(score, t.ListType) and isinstance(score.element, t.ObjectType)
    assert score.element.fields["score"].type == t.NumberType(integer=False, minimum=0, maximum=1)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Node(BaseModel):
    name: str
    children: list[Node] = []
    colour: Colour = Colour.RED
    weight: Annotated[float, Field(gt=0, lt=10)] = 1.0
    flag: Literal[True, False] = True
    tags: Optional[dict[str, int]] = None  # noqa: UP045 - the old spelling must be read too
    seen: datetime | None = None
    anything: object = None


def test_a_host_model_with_recursion_enums_and_old_style_optional() -> None:
    node = t.from_model(Node)
    assert node.fields["children"].type == t.ListType(node)  # the same object: recursion is fine
    assert node.fields["colour"].type == t.StringType(("red", "blue"))
    assert node.fields["weight"].type == t.NumberType(minimum=0, maximum=10)
    assert node.fields["flag"].type == t.BOOL
    tags = node.fields["tags"]
    assert tags.optional and tags.type == t.MapType(t.INTEGER)
    assert isinstance(node.fields["seen"].type, t.TimestampType) and node.fields["seen"].optional
    assert node.fields["anything"].type == t.ANY


def test_decision_type_is_ordered_and_knows_rule_names() -> None:
    decision = t.decision_type(["b_rule", "a_rule"])
    disposition = decision.fields["disposition"].type
    assert disposition == t.StringType(DISPOSITIONS, ordered=True)
    assert decision.fields["account_action"].type == t.StringType(ACCOUNT_ACTIONS, ordered=True)
    obligations = decision.fields["obligations"].type
    assert isinstance(obligations, t.ListType) and isinstance(obligations.element, t.ObjectType)
    assert obligations.element.fields["kind"].type == t.StringType(OBLIGATION_ORDER)
    assert obligations.element.fields["days"].optional
    shadow = decision.fields["shadow"].type
    assert shadow == t.ListType(t.StringType(("a_rule", "b_rule")))
    assert t.decision_type().fields["shadow"].type == t.ListType(t.STRING)


def test_relations() -> None:
    assert t.comparable(t.INTEGER, t.NUMBER)
    assert t.comparable(t.StringType(("a",)), t.STRING)
    assert not t.comparable(t.STRING, t.NUMBER)
    assert not t.comparable(t.BOOL, t.INTEGER)
    assert t.comparable(t.ANY, t.BOOL)
    assert t.comparable(t.UnionType((t.STRING, t.INTEGER)), t.NUMBER)
    assert t.join([t.INTEGER, t.NUMBER]) == t.NUMBER
    assert t.join([t.STRING, t.STRING]) == t.STRING
    assert isinstance(t.join([t.STRING, t.INTEGER]), t.UnionType)
    assert t.join([]) == t.ANY
    assert t.element(t.ListType(t.BOOL)) == t.BOOL and t.element(t.STRING) == t.ANY
    assert (
        t.literal_type(True) == t.BOOL and t.literal_type(3) == t.INTEGER and t.literal_type("x") == t.STRING
    )


def test_descriptions() -> None:
    assert t.describe(t.INTEGER) == "an integer"
    assert t.describe(t.StringType(("a", "b"))) == 'one of "a", "b"'
    assert t.describe(t.ListType(t.STRING)) == "a list of strings"
    node = t.from_model(Node)
    assert t.describe(node) == "an object `Node`"
    assert t.describe(t.ListType(node)) == "a list of `Node` objects"
