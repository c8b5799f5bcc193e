"""Running an exported sign model (TFLite) without TensorFlow: raw frames in, probabilities out."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from signbridge.console import native_noise_filtered
from signbridge.data.landmarks import NUM_SIGNS, ROWS_PER_FRAME
from signbridge.errors import SignbridgeError, first_line

SIGNATURE = "serving_default"
INPUT_NAME = "inputs"
OUTPUT_NAME = "outputs"
OUTPUT_KINDS = ("probabilities", "logits")  # what a model's `outputs` hold


class SignClassifier:
    """A `.tflite` model with the competition contract. Calls are serialised by a lock (one
    interpreter is not thread-safe), so one instance can serve many requests. A model that
    answers logits (as many competition models do) gets a softmax here: callers always see
    probabilities."""

    def __init__(self, model: bytes | str | Path, num_threads: int = 1,
                 outputs: str = "probabilities") -> None:
        from ai_edge_litert.interpreter import Interpreter

        if not isinstance(model, bytes):
            path = Path(model)
            if not path.is_file():
                raise SignbridgeError(f"{path}: model file not found")
            model = path.read_bytes()
        self._model = model  # the interpreter reads from this buffer; keep it alive
        try:
            # The runtime announces its CPU delegate on the first call: make that call here.
            with native_noise_filtered():
                self.interpreter = Interpreter(model_content=model, num_threads=num_threads)
                self.runner = self.interpreter.get_signature_runner(SIGNATURE)
                self.runner(**{INPUT_NAME: np.full((1, ROWS_PER_FRAME, 3), np.nan, np.float32)})
        except (ValueError, RuntimeError) as error:
            raise SignbridgeError(f"not a usable TFLite sign model ({error})") from error
        if outputs not in OUTPUT_KINDS:
            raise SignbridgeError(f"model outputs '{outputs}' is not one of {OUTPUT_KINDS}")
        self.logits = outputs == "logits"
        self._lock = threading.Lock()

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        """Probabilities over the 250 signs for one raw `[n, 543, 3]` sequence."""
        frames = np.asarray(frames, np.float32)
        if frames.ndim != 3 or frames.shape[1:] != (ROWS_PER_FRAME, 3) or len(frames) == 0:
            raise SignbridgeError(
                f"expected landmarks shaped [frames>=1, {ROWS_PER_FRAME}, 3], got {frames.shape}"
            )
        with self._lock:
            try:
                output = self.runner(**{INPUT_NAME: frames})[OUTPUT_NAME]
            except (RuntimeError, ValueError) as error:  # e.g. an imported model on too few frames
                raise SignbridgeError(f"the model failed on {len(frames)} frame(s): "
                                      f"{first_line(error)}") from error
        if output.shape != (NUM_SIGNS,):
            raise SignbridgeError(f"the model answered shape {output.shape}, not ({NUM_SIGNS},)")
        if self.logits:
            shifted = np.exp(output.astype(np.float64) - output.max())
            output = (shifted / shifted.sum()).astype(np.float32)
        return output

    def latency_ms(self, frames: np.ndarray, repeats: int = 50) -> float:
        """Median wall time of one prediction, in milliseconds."""
        self.probabilities(frames)
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            self.probabilities(frames)
            timings.append((time.perf_counter() - start) * 1000)
        return float(np.median(timings))
