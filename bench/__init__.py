"""The ruleward benchmark suite (`ruleward bench`)."""
