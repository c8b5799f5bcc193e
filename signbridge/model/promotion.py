"""Deciding whether a new model replaces production: same held-out data, strictly better top-1."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from signbridge.data.landmarks import expand_cached_rows
from signbridge.data.shards import ShardSet, shard_fingerprint
from signbridge.serving.classifier import SignClassifier


@dataclass
class PromotionDecision:
    promote: bool
    reason: str
    candidate_version: int
    production_version: int | None
    candidate_top1: float
    production_top1: float | None
    evaluation_fingerprint: str
    evaluation_sequences: int

    def as_dict(self) -> dict:
        return asdict(self)


def top1_accuracy(classifier: SignClassifier, evaluation: ShardSet) -> float:
    """Top-1 accuracy of an exported model on held-out sequences (the same path as serving)."""
    hits = [
        int(np.argmax(classifier.probabilities(expand_cached_rows(frames))) == label)
        for shard in evaluation.iter_shards()
        for frames, label in zip(shard.sequences(), shard.labels, strict=True)
    ]
    return float(np.mean(hits)) if hits else float("nan")


def decide(
    candidate: SignClassifier,
    candidate_version: int,
    production: SignClassifier | None,
    production_version: int | None,
    evaluation: ShardSet,
) -> PromotionDecision:
    """Score both models on the same evaluation data; promote only a strictly better candidate."""
    fingerprint = shard_fingerprint(evaluation)
    candidate_top1 = top1_accuracy(candidate, evaluation)
    common = dict(
        candidate_version=candidate_version, production_version=production_version,
        candidate_top1=candidate_top1, evaluation_fingerprint=fingerprint,
        evaluation_sequences=evaluation.sequences,
    )
    if production is None:
        return PromotionDecision(True, "no production model yet", production_top1=None, **common)
    if production_version == candidate_version:
        return PromotionDecision(
            False, f"version {candidate_version} is already production",
            production_top1=candidate_top1, **common,
        )
    production_top1 = top1_accuracy(production, evaluation)
    if candidate_top1 > production_top1:
        reason = (f"top-1 {candidate_top1:.4f} > production {production_top1:.4f} "
                  f"on {evaluation.sequences} held-out sequences ({fingerprint})")
        return PromotionDecision(True, reason, production_top1=production_top1, **common)
    reason = (f"top-1 {candidate_top1:.4f} is not better than production {production_top1:.4f} "
              f"on {evaluation.sequences} held-out sequences ({fingerprint})")
    return PromotionDecision(False, reason, production_top1=production_top1, **common)


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive file lock, so two deployments never interleave their promotion."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
