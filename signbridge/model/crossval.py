"""Leave-signers-out cross-validation: every signer is held out once, scored by a model that never
saw them. The figure that says how the recipe does on new people, with the worst fold beside the
mean."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.shards import ShardSet, sequence_table
from signbridge.model.features import FeatureSet
from signbridge.model.preprocessing import preprocess_sequences


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


FoldScorer = Callable[[Fold, object, ShardSet], dict[str, float]]


def cross_validate(
    everything: ShardSet,
    preprocess: PreprocessConfig,
    network: ModelConfig,
    training: TrainConfig,
    folds: int,
    validation_signers: int,
    seed: int,
    score: FoldScorer | None = None,
    on_fold: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Train one model per fold and score it on the fold's held-out signers.

    Returns one row per fold: held-out signers, sequences, top-1, the restored epoch, and what
    `score(fold, model, held_out_shards)` adds.
    """
    from signbridge.model.training import train_classifier

    signers = sorted(sequence_table(everything)["participant_id"].unique().tolist())
    rows = []
    for fold in signer_folds(signers, folds, validation_signers, seed):
        held_out = everything.restricted_to(fold.held_out)
        result = train_classifier(
            everything.restricted_to(fold.train), features_of(everything.restricted_to(
                fold.validation), preprocess), preprocess, network, training)
        evaluation = features_of(held_out, preprocess)
        probabilities = result.model.predict(evaluation.inputs(), verbose=0)
        row = {
            "fold": fold.number,
            "held_out_signers": ",".join(fold.held_out),
            "sequences": len(evaluation),
            "top1_accuracy": float(np.mean(probabilities.argmax(1) == evaluation.labels)),
            "best_epoch": result.best_epoch,
            **(score(fold, result.model, held_out) if score else {}),
        }
        rows.append(row)
        if on_fold:
            on_fold(row)
    return pd.DataFrame(rows)
