"""How big a benchmark run is: the full run of the issue, or `--quick` for a CI smoke test."""

from __future__ import annotations

from dataclasses import dataclass, field

from ruleward.bench.contenders import Contender
from ruleward.bench.corpus import DEFAULT_SEED


@dataclass(frozen=True)
class BenchConfig:
    quick: bool = False
    seed: int = DEFAULT_SEED
    corpus_size: int = 10_000
    rounds: int = 10  # interleaved rounds per comparison
    block: int = 1_000  # events per engine per round; consecutive blocks cover the corpus
    memory_events: int = 2_000  # events decided in the fresh process that measures peak memory
    scaling_sizes: tuple[int, ...] = (10, 100, 1000)
    compile_repeats: int = 5
    batch_events: int = 100_000
    profile_events: int = 2_000
    contenders: tuple[str, ...] | None = None  # None: every registered engine
    extra_contenders: list[Contender] = field(default_factory=list)  # tests inject engines here

    def rounds_text(self, corpus_size: int) -> str:
        return f"{self.rounds} interleaved rounds of {min(self.block, corpus_size):,} events"

    @classmethod
    def make(cls, quick: bool) -> BenchConfig:
        if not quick:
            return cls()
        return cls(
            quick=True,
            corpus_size=120,
            rounds=2,
            block=60,
            memory_events=50,
            scaling_sizes=(10, 100),
            compile_repeats=1,
            batch_events=200,
            profile_events=100,
        )


__all__ = ["BenchConfig"]
