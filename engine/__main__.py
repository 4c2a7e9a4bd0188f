"""`python -m ruleward.engine`: the `ruleward` command line."""

from ruleward.engine.cli import main

if __name__ == "__main__":
    main()
