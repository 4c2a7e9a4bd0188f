"""The ruleward engine: load a ruleset, evaluate moderation events, explain decisions.

from ruleward.engine import Engine
engine = Engine.load("child_safety")
decision = engine.evaluate(event)
"""

from ruleward.engine.decision import Decision
from ruleward.engine.engine import Engine
from ruleward.engine.ruleset import RulesetError

__all__ = ["Decision", "Engine", "RulesetError"]
