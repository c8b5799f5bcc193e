"""Scoring a classifier on held-out signers: top-k accuracy, per-sign table, confusion matrix."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from signbridge.data.landmarks import index_to_sign

TOP_K = (1, 5, 10)


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
