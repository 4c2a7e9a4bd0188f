"""The ruleward language: parse, check and format rulesets."""
