"""Rulesets shipped with ruleward, packaged as data."""
