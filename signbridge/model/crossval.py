"""Leave-signers-out cross-validation: every signer is held out once, scored by a model that never
saw them. The figure that says how a recipe does on new people, with the worst fold beside the
mean."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from signbridge.config import PreprocessConfig, TrainingConfig
from signbridge.data.landmarks import index_to_sign
from signbridge.data.shards import ShardSet, sequence_table
from signbridge.model.evaluation import (
    OtherSource,
    acceptance_metrics,
    judge_all,
    known_sequences,
)
from signbridge.model.features import FeatureSet
from signbridge.model.preprocessing import preprocess_sequences

THRESHOLDS = np.round(np.arange(0.5, 0.96, 0.05), 2)  # candidate fixed confidence thresholds


@dataclass
class CrossValidation:
    folds: pd.DataFrame  # one row per fold: top-1, accepted and right, "not sure", restored epoch
    tradeoff: pd.DataFrame  # one row per fold and fixed threshold: the acceptance figures
    clips: pd.DataFrame  # one row per fold and judged clip: its answer, confidence and evidence


@dataclass
class Fold:
    number: int  # from 1
    held_out: list[str]
    validation: list[str]
    train: list[str]


def signer_folds(signers: list[str], folds: int, validation_signers: int, seed: int) -> list[Fold]:
    """`folds` disjoint groups of held-out signers covering everyone; the validation signers of
    each fold are drawn from the others, and everyone else trains."""
    order = np.random.default_rng(seed).permutation(sorted(signers)).tolist()
    groups = [sorted(group) for group in np.array_split(np.array(order, dtype=object), folds)]
    result = []
    for number, held_out in enumerate(groups, start=1):
        rest = [s for s in order if s not in held_out]
        rotated = rest[(number * validation_signers) % len(rest):] + rest[
            :(number * validation_signers) % len(rest)]
        validation = sorted(rotated[:validation_signers])
        train = sorted(s for s in rest if s not in validation)
        result.append(Fold(number, list(held_out), validation, train))
    return result


def features_of(shards: ShardSet, preprocess: PreprocessConfig) -> FeatureSet:
    """Preprocessed features of (small) held-out splits, in memory."""
    data = shards.load()
    features, masks = preprocess_sequences(data.sequences(), preprocess)
    return FeatureSet(features, masks, data.labels)


def cross_validate(
    everything: ShardSet,
    config: TrainingConfig,
    folds: int,
    others: list[OtherSource] | None = None,
    on_fold: Callable[[dict, CrossValidation], None] | None = None,
) -> CrossValidation:
    """Train one model per fold and assess it on the fold's held-out signers (and on other
    sources): one row per fold with top-1, accepted-and-right, "not sure" and the restored epoch,
    and what each of `THRESHOLDS` would do as a fixed acceptance threshold.

    `on_fold` gets each finished fold's row and everything measured so far, so a long run that
    is stopped keeps its finished folds.
    """
    from signbridge.data.landmarks import expand_cached_rows
    from signbridge.model.evaluation import assess
    from signbridge.model.training import train_classifier

    table = sequence_table(everything)
    signers = sorted(table["participant_id"].unique().tolist())
    known = sorted({index_to_sign()[label] for label in table["label"]})
    rows, tradeoff, clips = [], [], []
    for fold in signer_folds(signers, folds, config.split_validation_signers(), config.split.seed):
        validation = features_of(everything.restricted_to(fold.validation), config.preprocess)
        trained = everything.restricted_to(fold.train)
        result = train_classifier(trained, validation, config.preprocess, config.network,
                                  config.training)
        held_out = everything.restricted_to(fold.held_out)
        raw = held_out.load()
        held_out_features = features_of(held_out, config.preprocess)
        sequences = [expand_cached_rows(s) for s in raw.sequences()]
        fold_known = sorted({index_to_sign()[label] for label in sequence_table(trained)["label"]})
        fold_known = fold_known or known
        known_performances = (known_sequences([trained, everything.restricted_to(fold.validation)])
                              if config.evaluation.handshape_quantile else None)
        assessment = assess(result.model, config.preprocess, config.evaluation, fold_known,
                            validation, held_out_features, sequences, others or [],
                            known_performances)
        row = {"fold": fold.number, "held_out_signers": ",".join(fold.held_out),
               "sequences": len(raw), "best_epoch": result.best_epoch, **assessment.metrics}
        rows.append(row)
        held_out_signs = OtherSource(
            "held_out", sequences, [index_to_sign()[label] for label in raw.labels],
            [f"{who}/{what}" for who, what in zip(raw.participant_ids, raw.sequence_ids,
                                                  strict=True)])
        outputs = [(held_out_signs, assessment.outputs), *assessment.other_outputs]
        tradeoff += threshold_rows(fold.number, outputs, assessment.rule)
        clips += clip_rows(fold.number, outputs, assessment.rule)
        if on_fold:
            on_fold(row, _so_far(rows, tradeoff, clips))
    return _so_far(rows, tradeoff, clips)


def _so_far(rows: list[dict], tradeoff: list[dict], clips: list[dict]) -> CrossValidation:
    return CrossValidation(pd.DataFrame(rows), pd.DataFrame(tradeoff), pd.DataFrame(clips))


def clip_rows(fold: int, outputs: list[tuple[OtherSource, np.ndarray]], rule) -> list[dict]:
    """One row per clip of each source (named participant/sequence, or by its file): the true
    sign, the answer and its confidence, the share of the model's output on the known signs,
    whether it was accepted and why not, the confidence it needed, the signing hand's distance
    to the known handshapes (and the limit), and the evidence (frames, frames with a hand), so
    a fold's failures can be read clip by clip."""
    signs = list(index_to_sign())
    bank = rule.handshape_bank
    rows = []
    for source, probabilities in outputs:
        judged = judge_all(rule, probabilities, source.sequences, source.signs, signs)
        for number, (answer, frames) in enumerate(
                zip(judged.answers, source.sequences, strict=True)):
            distance = bank.distance(frames) if bank is not None else None
            rows.append({
                "fold": fold, "source": source.name,
                "clip": source.names[number] if source.names else str(number),
                "sign": judged.signs[number], "known": judged.signs[number] in rule.known_signs,
                "answer": answer.top[0][0] if answer.top else "",
                "confidence": answer.top[0][1] if answer.top else 0.0,
                "accepts_from": rule.needed_confidence(distance),
                "known_share": rule.known_share(probabilities[number], signs),
                "accepted": answer.accepted, "reason": answer.reason,
                "handshape_distance": np.nan if distance is None else distance,
                "handshape_limit": rule.max_handshape_distance,
                "frames": answer.frames, "frames_with_hands": answer.frames_with_hands})
    return rows


def threshold_rows(fold: int, outputs: list[tuple[OtherSource, np.ndarray]],
                   fitted) -> list[dict]:
    """For each fixed threshold, the acceptance figures on the held-out signers (the first of
    `outputs`) and on each other source, as the `fitted` rule (an AcceptanceRule; its evidence
    and handshape checks kept) with that threshold instead of its own would judge them."""
    signs = list(index_to_sign())
    known = fitted.known_signs
    rows = []
    for threshold in THRESHOLDS:
        rule = replace(fitted, temperature=1.0, min_confidence=float(threshold))
        row = {"fold": fold, "threshold": float(threshold)}
        for number, (source, probabilities) in enumerate(outputs):
            metrics = acceptance_metrics(
                judge_all(rule, probabilities, source.sequences, source.signs, signs), known)
            prefix = "" if number == 0 else f"{source.name}/"
            row.update({f"{prefix}{name}": value for name, value in metrics.items()
                        if name in ("accepted_right", "accepted_wrong", "unknown_not_sure")})
        rows.append(row)
    return rows
