"""A seeded corpus of varied, schema-valid moderation events for the benchmark.

The mix is tuned so that about half the events fire one of the five benchmark rules and every branch of
them is exercised: hash matches of every algorithm against verified and other banks, near and far PDQ
distances, classifier scores around each threshold, failed classifiers, missing signals, provenance in
every validation state, strike counts on both sides of the limit. Every hash and identifier is random hex.
The same seed gives the same corpus on every machine and Python version (only `random.Random` is used).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import orjson

DEFAULT_SEED: Final = 20261120
DEFAULT_SIZE: Final = 10_000

BANKS: Final = (
    "ncmec_industry",
    "iwf",
    "ncmec_ngo",
    "ncmec_exploitative",
    "thorn_csam",
    "lantern",
    "stopncii",
    "internal_confirmed",
    "internal_suspect",
    "host_custom",
)
ALGORITHMS: Final = ("md5", "sha1", "sha256", "pdq", "photodna", "vpdq", "tmk_pdqf", "saferhash")
EXACT: Final = frozenset({"md5", "sha1", "sha256"})
CLASSIFICATIONS: Final = ("A1", "A2", "B1", "B2", "IWF_A", "IWF_B", "IWF_C", "CSAM", "SE", "NCII")
LABELS: Final = ("csam", "sexual", "minor_presence", "ai_generated", "nudity")
PROVIDERS: Final = ("thorn", "rekognition", "internal", "hive")
SOURCE_TYPES: Final = (
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "compositeSynthetic",
    "algorithmicMedia",
    "digitalCapture",
)
FAILURE_CODES: Final = (
    "claimSignature.mismatch",
    "assertion.dataHash.mismatch",
    "signingCredential.untrusted",
)
SURFACES: Final = (
    "upload",
    "public_post",
    "direct_message",
    "profile",
    "livestream",
    "genai_output",
    "storage",
)
COUNTRIES: Final = ("US", "GB", "DE", "FR", "JP", "BR", "IN", "NL", "CA", "AU")
REPORT_SOURCES: Final = ("user", "trusted_flagger", "ncmec", "iwf", "law_enforcement", "takedown_request")
MIME: Final = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg", "text": "text/plain"}
EPOCH: Final = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)

Event = dict[str, object]


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}x}"

    def score(self, high_share: float) -> float:
        # three decimals: every engine sees the same number (Cedar gets it as an exact integer of 1/1000s)
        if self.rng.random() < high_share:
            return round(self.rng.uniform(0.6, 1.0), 3)
        return round(self.rng.uniform(0.0, 0.6), 3)

    def event(self, index: int) -> Event:
        rng = self.rng
        media_type = rng.choice(("image", "image", "image", "video", "audio", "text"))
        content: dict[str, object] = {"id": f"c-{self.hex(12)}", "media_type": media_type}
        if rng.random() < 0.8:
            content["mime"] = MIME[media_type]
        if rng.random() < 0.7:
            content["sha256"] = self.hex(64)
        if media_type in ("image", "video"):
            content["width"] = rng.choice((320, 640, 1024, 1920))
            content["height"] = rng.choice((240, 480, 768, 1080))
        if media_type in ("video", "audio"):
            content["duration_s"] = round(rng.uniform(1, 600), 1)
        event: Event = {
            "event_id": f"ev-{self.hex(16)}",
            "schema_version": "1",
            "occurred_at": (EPOCH + timedelta(seconds=index * 7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "surface": rng.choice(SURFACES),
            "jurisdictions": rng.sample(COUNTRIES, rng.choice((0, 1, 1, 2, 3))),
            "content": content,
            "actor": self.actor(),
            "hash_matches": self.hash_matches(),
            "classifiers": self.classifiers(),
            "age_estimates": self.age_estimates(),
            "provenance": self.provenance(),
            "reports": self.reports(),
        }
        if rng.random() < 0.3:
            event["context"] = {"app_version": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}", "beta": True}
        return event

    def actor(self) -> dict[str, object]:
        rng = self.rng
        actor: dict[str, object] = {
            "id": f"u-{self.hex(12)}",
            "account_age_days": rng.randint(0, 4000),
            "age_band": rng.choice(("unknown", "under_13", "13_17", "adult", "adult", "adult")),
            "active_strikes": rng.choice((0,) * 8 + (1, 2, 3, 4, 7)),
            "prior_confirmed_csam": rng.random() < 0.02,
        }
        if rng.random() < 0.7:
            actor["country"] = rng.choice(COUNTRIES)
        return actor

    def hash_matches(self) -> list[dict[str, object]] | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return None  # matching did not run
        if roll < 0.55:
            return []
        return [self.hash_match() for _ in range(rng.choice((1, 1, 1, 2, 3)))]

    def hash_match(self) -> dict[str, object]:
        rng = self.rng
        algorithm = rng.choice((*ALGORITHMS, "pdq", "pdq", "md5"))
        match: dict[str, object] = {"algorithm": algorithm, "bank": rng.choice(BANKS + BANKS[:2])}
        if rng.random() < 0.9:
            match["entry_id"] = f"syn-{self.hex(12)}"
        if algorithm not in EXACT:
            match["distance"] = rng.randint(0, 64) if algorithm == "pdq" else rng.randint(0, 256)
        if algorithm == "pdq" and rng.random() < 0.8:
            match["quality"] = rng.randint(20, 100)
        if algorithm in ("vpdq", "tmk_pdqf"):
            match["frame_match_pct"] = round(rng.uniform(0, 100), 1)
        if rng.random() < 0.6:
            match["classification"] = rng.choice(CLASSIFICATIONS)
        if rng.random() < 0.05:
            match["entry_deleted"] = True
        return match

    def classifiers(self) -> list[dict[str, object]] | None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return None  # no classifier ran
        if roll < 0.08:
            return []
        signals: list[dict[str, object]] = []
        # half the events look risky: their scores sit high, around the rules' thresholds
        high_share = 0.75 if rng.random() < 0.5 else 0.05
        labels = rng.sample(LABELS, rng.randint(1, len(LABELS)))
        if high_share > 0.5 and "csam" not in labels:
            labels.append("csam")
        for label in labels:
            for _ in range(rng.choice((1, 1, 2))):
                signals.append(self.classifier(label, high_share))
        if rng.random() < 0.1:
            signals.append(
                {
                    "provider": "google_csai",
                    "model_version": "v3",
                    "label": "csam",
                    "priority": rng.choice(("very_low", "low", "medium", "high", "very_high")),
                }
            )
        return signals

    def classifier(self, label: str, high_share: float) -> dict[str, object]:
        rng = self.rng
        signal: dict[str, object] = {
            "provider": rng.choice(PROVIDERS),
            "model_version": f"2026.{rng.randint(1, 11)}",
            "label": label,
        }
        if rng.random() < 0.05:
            signal["status"] = rng.choice(("failed", "timeout", "skipped"))
            signal["score"] = None
        else:
            signal["score"] = self.score(high_share)
            if rng.random() < 0.5:
                signal["status"] = "ok"
        return signal

    def age_estimates(self) -> list[dict[str, int]]:
        rng = self.rng
        if rng.random() < 0.85:
            return []
        low = rng.randint(3, 40)
        return [{"low": low, "high": low + rng.randint(0, 10)}]

    def provenance(self) -> dict[str, object] | None:
        rng = self.rng
        if rng.random() < 0.25:
            return None  # provenance not checked
        state = rng.choice(("absent", "invalid", "invalid", "valid", "trusted"))
        synthetic = rng.random() < 0.5
        kinds = (
            ["trainedAlgorithmicMedia", *rng.sample(SOURCE_TYPES[1:4], rng.randint(0, 1))]
            if synthetic
            else []
        )
        if rng.random() < 0.4:
            kinds.append("digitalCapture")
        return {
            "c2pa_present": state != "absent",
            "validation_state": state,
            "failure_codes": rng.sample(FAILURE_CODES, rng.randint(1, 2)) if state == "invalid" else [],
            "digital_source_types": kinds,
            "watermarks": [
                {"scheme": "synthid", "result": rng.choice(("detected", "not_detected", "uncertain"))}
            ]
            if rng.random() < 0.2
            else [],
        }

    def reports(self) -> list[dict[str, object]]:
        rng = self.rng
        if rng.random() < 0.9:
            return []
        source = rng.choice(REPORT_SOURCES)
        return [
            {
                "source": source,
                "reason": rng.choice(("csam", "ncii", "spam", "harassment")),
                "imminent_harm": rng.random() < 0.1,
                "takedown_valid": source == "takedown_request" and rng.random() < 0.7,
            }
        ]


def iter_events(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> Iterator[Event]:
    """`size` events from `seed`; the first `n` events of a seed are the same whatever the size."""
    maker = _Maker(seed)
    for index in range(size):
        yield maker.event(index)


def make_corpus(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> list[Event]:
    return list(iter_events(size, seed))


def write_jsonl(path: Path, size: int, seed: int = DEFAULT_SEED) -> int:
    """Write `size` events to `path`, one JSON object per line; returns the number of bytes written."""
    written = 0
    with path.open("wb") as out:
        for event in iter_events(size, seed):
            line = orjson.dumps(event) + b"\n"
            out.write(line)
            written += len(line)
    return written


__all__ = ["DEFAULT_SEED", "DEFAULT_SIZE", "Event", "iter_events", "make_corpus", "write_jsonl"]
