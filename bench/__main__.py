"""`python -m ruleward.bench`: the benchmark without the `ruleward` command, with the same options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruleward.bench.command import WORKLOADS, run_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ruleward.bench", description=__doc__)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help=f"any of: {', '.join(WORKLOADS)}")
    parser.add_argument("--quick", action="store_true", help="tiny corpus, few rounds (CI smoke)")
    parser.add_argument("--output", type=Path, help="write the Markdown report here")
    args = parser.parse_args(argv)
    return run_bench(args.workloads or None, args.quick, args.output)


if __name__ == "__main__":
    sys.exit(main())
