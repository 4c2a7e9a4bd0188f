"""Testing support for rulesets: hypothesis strategies, assertions, the test runner and pytest plugin."""
