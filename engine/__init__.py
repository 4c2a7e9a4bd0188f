"""The ruleward engine."""
