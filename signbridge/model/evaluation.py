"""Scoring a classifier on held-out signers: top-k accuracy, per-sign table, confusion matrix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from signbridge.data.landmarks import index_to_sign

TOP_K = (1, 5, 10)
HANDSHAPE_SEQUENCES = 4000  # the most known-sign sequences the handshape check learns from


def top_k_accuracy(probabilities: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of rows whose true label is among the k highest probabilities."""
    if len(labels) == 0:
        return float("nan")
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return float(np.mean([label in row for label, row in zip(labels, top, strict=True)]))


@dataclass
class Evaluation:
    metrics: dict[str, float]
    per_sign: pd.DataFrame
    confusion: pd.DataFrame  # rows: true sign, columns: predicted sign (signs seen in either)


def evaluate_predictions(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Metrics, a per-sign table and a confusion matrix of top-1 predictions."""
    signs = index_to_sign()
    predicted = probabilities.argmax(axis=1)
    metrics = {f"top{k}_accuracy": top_k_accuracy(probabilities, labels, k) for k in TOP_K}
    metrics["evaluation_sequences"] = float(len(labels))

    top5 = np.argsort(-probabilities, axis=1)[:, :5]
    rows = []
    for label in np.unique(labels):
        chosen = labels == label
        rows.append({
            "sign": signs[label],
            "sequences": int(chosen.sum()),
            "top1_accuracy": float((predicted[chosen] == label).mean()),
            "top5_accuracy": float(np.mean([label in row for row in top5[chosen]])),
            "most_confused_with": _most_confused(predicted[chosen], label),
        })
    per_sign = pd.DataFrame(rows, columns=[
        "sign", "sequences", "top1_accuracy", "top5_accuracy", "most_confused_with",
    ])

    shown = np.union1d(np.unique(labels), np.unique(predicted))
    names = [signs[i] for i in shown]
    confusion = pd.DataFrame(0, index=pd.Index(names, name="true"), columns=names)
    for true, guess in zip(labels, predicted, strict=True):
        confusion.loc[signs[true], signs[guess]] += 1
    return Evaluation(metrics, per_sign, confusion)


def _most_confused(predicted: np.ndarray, label: int) -> str:
    wrong = predicted[predicted != label]
    if len(wrong) == 0:
        return ""
    values, counts = np.unique(wrong, return_counts=True)
    return index_to_sign()[values[counts.argmax()]]


@dataclass
class Judged:
    """Sequences run through the model and its acceptance rule."""

    signs: list[str]  # the true sign of each sequence ("" if it has no name)
    answers: list  # serving.acceptance.Answer per sequence

    def known(self, known_signs: list[str]) -> np.ndarray:
        return np.isin(self.signs, known_signs)


def judge_all(rule, probabilities: np.ndarray, sequences: list[np.ndarray], signs: list[str],
              sign_labels: list[str]) -> Judged:
    """Apply an acceptance rule to each sequence's model output (`[N, 250]`)."""
    answers = [rule.judge(p, frames, sign_labels)
               for p, frames in zip(probabilities, sequences, strict=True)]
    return Judged(list(signs), answers)


def acceptance_metrics(judged: Judged, known_signs: list[str]) -> dict[str, float]:
    """How answers fare: of sequences of known signs, the share accepted and right, accepted and
    wrong, and "not sure"; of sequences of other signs, the share answered "not sure"."""
    known = judged.known(known_signs)
    accepted = np.array([a.accepted for a in judged.answers], bool)
    right = np.array([bool(a.top) and a.top[0][0] == sign
                      for a, sign in zip(judged.answers, judged.signs, strict=True)], bool)
    metrics: dict[str, float] = {}
    if known.any():
        metrics.update({
            "known_sequences": float(known.sum()),
            "top1_accuracy": float(right[known].mean()),
            "accepted_right": float((accepted & right)[known].mean()),
            "accepted_wrong": float((accepted & ~right)[known].mean()),
            "not_sure": float((~accepted)[known].mean()),
        })
    if (~known).any():
        metrics.update({
            "unknown_sequences": float((~known).sum()),
            "unknown_not_sure": float((~accepted)[~known].mean()),
        })
    return metrics


def share_interval(share: float, total: float, z: float = 1.96) -> tuple[float, float]:
    """The 95 % (Wilson score) interval of a share measured on `total` sequences: on a few dozen
    held-out sequences a figure can sit several points away from the recipe's true rate."""
    if total <= 0:
        return float("nan"), float("nan")
    spread = z * z / total
    centre = (share + spread / 2) / (1 + spread)
    half = z * np.sqrt(share * (1 - share) / total + spread / (4 * total)) / (1 + spread)
    return max(0.0, centre - half), min(1.0, centre + half)


def counted(share: float, total: float) -> str:
    """A share with its count and 95 % interval, e.g. `92.2% (59 of 64; 95% interval 83%-97%)`."""
    if not np.isfinite(share) or total <= 0:
        return f"{share:.1%}"
    low, high = share_interval(share, total)
    return (f"{share:.1%} ({round(share * total)} of {total:.0f}; "
            f"95% interval {low:.0%}-{high:.0%})")


def summary_lines(metrics: dict[str, float]) -> list[str]:
    """The evaluation figures in the console's words, each share with its count and interval."""
    known = metrics.get("known_sequences", 0.0)
    lines = [f"held-out signers: top-1 {metrics['top1_accuracy']:.1%}, accepted and right "
             f"{counted(metrics.get('accepted_right', float('nan')), known)}, not sure "
             f"{metrics.get('not_sure', float('nan')):.1%}"]
    for key in metrics:
        if key.endswith("/unknown_not_sure"):
            source = key.split("/")[0]
            lines.append(f"{source}: other signs answered 'not sure' "
                         f"{counted(metrics[key], metrics.get(f'{source}/unknown_sequences', 0.0))}"
                         f", its known signs accepted and right "
                         f"{metrics.get(f'{source}/accepted_right', float('nan')):.1%}")
    return lines


def coverage_curve(confidences: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    """Selective accuracy: accepting only answers at or above each confidence, the share of
    sequences answered (coverage) and the accuracy among them."""
    order = np.argsort(-confidences)
    answered = np.arange(1, len(order) + 1)
    return pd.DataFrame({
        "threshold": confidences[order],
        "coverage": answered / max(len(order), 1),
        "selective_accuracy": np.cumsum(right[order]) / answered,
    })


@dataclass
class OtherSource:
    """Landmark sequences from another source, loaded once, with their signs' names."""

    name: str
    sequences: list[np.ndarray]  # raw [n, 543, 3]
    signs: list[str]
    names: list[str] = field(default_factory=list)  # where each sequence came from (optional)


def load_other_source(name: str, root, index_name: str) -> OtherSource | None:
    """An evaluation source in the competition layout, or None if it is not there."""
    from pathlib import Path

    from signbridge.data.files import read_index, read_landmark_file

    if not (Path(root) / index_name).is_file():
        return None
    index = read_index(root, index_name)
    return OtherSource(name, [read_landmark_file(p) for p in index["path"]],
                       index["sign"].tolist(), index["path"].astype(str).tolist())


def predict_in_batches(model, inputs: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
    """`model.predict` with every batch the same shape (the last one padded), so TensorFlow
    traces the prediction once per model instead of once per input size."""
    count = len(inputs[0])
    padding = (-count) % batch_size
    padded = [np.concatenate([x, np.zeros((padding, *x.shape[1:]), x.dtype)]) for x in inputs]
    return model.predict(padded, batch_size=batch_size, verbose=0)[:count]


def fitted_rule(settings, probabilities: np.ndarray, labels: np.ndarray, known_signs: list[str],
                known: KnownSequences | None = None):
    """The acceptance rule of `settings` (an EvaluationConfig), fitted on validation outputs;
    with `settings.handshape_quantile` and `known`, with the handshape check too."""
    from signbridge.serving.acceptance import fit_acceptance
    from signbridge.serving.handshape import fit_limit

    rule = fit_acceptance(probabilities, labels, known_signs, list(index_to_sign()), settings.keep,
                          settings.min_frames, settings.min_hand_frames, settings.min_confidence)
    rule.min_known_share = settings.min_known_share
    if settings.handshape_quantile and known and known.sequences:
        bank, limit, fitted = fit_limit(known.sequences, known.signers,
                                        settings.handshape_quantile,
                                        descriptor=settings.handshape_descriptor)
        rule.handshapes = bank.to_dict()
        rule.max_handshape_distance = round(limit * settings.handshape_scale, 4)
        rule.fitted_on |= {f"handshape_{name}": value for name, value in fitted.items()}
        rule.fitted_on["handshape_scale"] = settings.handshape_scale
        rule.handshape_weight = settings.handshape_weight
        rule.unmeasured_confidence = settings.unmeasured_confidence
    return rule


@dataclass
class KnownSequences:
    """Performances of the known signs the model learned from, with their signers: where the
    handshape check learns the known handshapes."""

    sequences: list[np.ndarray]  # raw [n, 543, 3]
    signers: list[str]


def known_sequences(shard_sets, most: int = HANDSHAPE_SEQUENCES) -> KnownSequences:
    """At most `most` sequences of the given ShardSets (training and validation signers), spread
    evenly over them, with all 543 rows."""
    from signbridge.data.landmarks import expand_cached_rows
    from signbridge.data.shards import sequence_table

    total = sum(shard_set.sequences for shard_set in shard_sets)
    step = max(1, int(np.ceil(total / most)))
    sequences, signers, position = [], [], 0
    for shard_set in shard_sets:
        if not shard_set.sequences or not len(sequence_table(shard_set)):
            continue
        for shard in shard_set.iter_shards():
            for i in range(len(shard)):
                if position % step == 0:
                    sequences.append(expand_cached_rows(shard.sequence(i)))
                    signers.append(str(shard.participant_ids[i]))
                position += 1
    return KnownSequences(sequences, signers)


@dataclass
class Assessment:
    rule: object  # serving.acceptance.AcceptanceRule, fitted on the validation signers
    metrics: dict[str, float]
    scores: Evaluation
    coverage: pd.DataFrame
    outputs: np.ndarray  # the model's outputs `[N, 250]` on the held-out sequences
    other_outputs: list[tuple[OtherSource, np.ndarray]]  # and on each other source's


def assess(model, preprocess, settings, known_signs: list[str], validation, held_out,
           held_out_sequences: list[np.ndarray], others: list[OtherSource],
           known: KnownSequences | None = None) -> Assessment:
    """Fit the acceptance rule on the validation signers (its handshape check on `known`), then
    score the held-out signers (top-k, accepted and right, "not sure") and every other source
    (known signs, unknown signs).

    `validation` and `held_out` are FeatureSets; `held_out_sequences` the held-out raw frames.
    """
    signs = list(index_to_sign())
    rule = fitted_rule(settings, predict_in_batches(model, validation.inputs()),
                       validation.labels, known_signs, known)
    probabilities = predict_in_batches(model, held_out.inputs())
    judged = judge_all(rule, probabilities, held_out_sequences,
                       [signs[label] for label in held_out.labels], signs)
    return _assessment(rule, probabilities, held_out.labels, judged, known_signs,
                       outputs_on(model, preprocess, others))


def outputs_on(model, preprocess, others: list[OtherSource]) -> list[tuple[OtherSource,
                                                                           np.ndarray]]:
    """The model's outputs `[N, 250]` on each other source's sequences."""
    from signbridge.data.landmarks import cached_rows
    from signbridge.model.preprocessing import preprocess_sequences

    outputs = []
    for other in others:
        features, masks = preprocess_sequences([s[:, cached_rows()] for s in other.sequences],
                                               preprocess)
        outputs.append((other, predict_in_batches(model, [features, masks])))
    return outputs


def assess_exported(classifier, validation: Iterable[tuple[np.ndarray, int]],
                    held_out: Iterable[tuple[np.ndarray, int]], settings, known_signs: list[str],
                    others: list[OtherSource]) -> Assessment:
    """`assess` for an exported model (a SignClassifier, e.g. one trained elsewhere): the same
    rule fitting and figures, on raw `(frames [n, 543, 3], label)` pairs run one at a time
    through TFLite, so a large held-out set streams."""
    signs = list(index_to_sign())
    outputs, labels = _outputs(classifier, validation)
    rule = fitted_rule(settings, outputs, labels, known_signs)
    probabilities, labels, answers = [], [], []
    for frames, label in held_out:
        output = classifier.probabilities(frames)
        probabilities.append(output)
        labels.append(label)
        answers.append(rule.judge(output, frames, signs))
    judged = Judged([signs[label] for label in labels], answers)
    other_outputs = [(other, np.array([classifier.probabilities(s) for s in other.sequences]))
                     for other in others]
    return _assessment(rule, _stacked(probabilities), np.array(labels, np.int64), judged,
                       known_signs, other_outputs)


def _outputs(classifier, sequences: Iterable[tuple[np.ndarray, int]]) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    outputs, labels = [], []
    for frames, label in sequences:
        outputs.append(classifier.probabilities(frames))
        labels.append(label)
    return _stacked(outputs), np.array(labels, np.int64)


def _stacked(outputs: list[np.ndarray]) -> np.ndarray:
    return np.stack(outputs) if outputs else np.zeros((0, len(index_to_sign())), np.float32)


def _assessment(rule, probabilities: np.ndarray, labels: np.ndarray, judged: Judged,
                known_signs: list[str], others: list[tuple[OtherSource, np.ndarray]]) -> Assessment:
    """Held-out top-k and acceptance figures, and each other source's, from model outputs."""
    signs = list(index_to_sign())
    scores = evaluate_predictions(probabilities, labels)
    metrics = {**scores.metrics, **acceptance_metrics(judged, known_signs)}
    confidences = np.array([a.top[0][1] if a.top else 0.0 for a in judged.answers])
    right = np.array([bool(a.top) and a.top[0][0] == s
                      for a, s in zip(judged.answers, judged.signs, strict=True)])
    for other, outputs in others:
        other_metrics = acceptance_metrics(
            judge_all(rule, outputs, other.sequences, other.signs, signs), known_signs)
        metrics.update({f"{other.name}/{name}": value for name, value in other_metrics.items()})
    return Assessment(rule, metrics, scores, coverage_curve(confidences, right), probabilities,
                      others)
