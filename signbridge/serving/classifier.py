"""Running an exported sign model (TFLite) without TensorFlow: raw frames in, top signs out."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from signbridge.data.landmarks import NUM_SIGNS, ROWS_PER_FRAME
from signbridge.errors import SignbridgeError

SIGNATURE = "serving_default"
INPUT_NAME = "inputs"
OUTPUT_NAME = "outputs"


class SignClassifier:
    """A `.tflite` sign model with the competition contract and its label list."""

    def __init__(self, model_path: str | Path, labels: list[str], num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise SignbridgeError(f"{self.model_path}: model file not found; run `export` first")
        self.labels = labels
        self.interpreter = Interpreter(model_path=str(self.model_path), num_threads=num_threads)
        self.runner = self.interpreter.get_signature_runner(SIGNATURE)

    @classmethod
    def from_directory(cls, directory: str | Path, num_threads: int = 1) -> SignClassifier:
        """Load `model.tflite` and `labels.json` as written by `run_pipeline.py export`."""
        directory = Path(directory)
        labels_path = directory / "labels.json"
        if not labels_path.is_file():
            raise SignbridgeError(f"{labels_path}: not found; run `export --out {directory}`")
        return cls(directory / "model.tflite", read_labels(labels_path), num_threads)

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """Probabilities over all signs for one raw `[n, 543, 3]` sequence."""
        frames = np.asarray(frames, np.float32)
        if frames.ndim != 3 or frames.shape[1:] != (ROWS_PER_FRAME, 3) or len(frames) == 0:
            raise SignbridgeError(
                f"expected landmarks shaped [frames>=1, {ROWS_PER_FRAME}, 3], got {frames.shape}"
            )
        return self.runner(**{INPUT_NAME: frames})[OUTPUT_NAME]

    def top_signs(self, frames: np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        """The k most likely signs with their probabilities, best first."""
        probabilities = self.probabilities(frames)
        best = np.argsort(-probabilities)[:k]
        return [(self.labels[i], float(probabilities[i])) for i in best]

    def latency_ms(self, frames: np.ndarray, repeats: int = 50) -> float:
        """Median wall time of one prediction, in milliseconds."""
        self.probabilities(frames)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            self.probabilities(frames)
            timings.append((time.perf_counter() - start) * 1000)
        return float(np.median(timings))


def read_labels(path: str | Path) -> list[str]:
    """Read `labels.json` (output index -> sign name) into a list."""
    mapping = json.loads(Path(path).read_text())
    labels = [mapping[str(i)] for i in range(len(mapping))]
    if len(labels) != NUM_SIGNS:
        raise SignbridgeError(f"{path}: {len(labels)} labels, expected {NUM_SIGNS}")
    return labels


def write_labels(path: str | Path, labels: list[str] | tuple[str, ...]) -> None:
    Path(path).write_text(json.dumps({str(i): s for i, s in enumerate(labels)}, indent=1))
