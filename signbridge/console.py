"""A console a person reads: native libraries' start-up chatter filtered at the source (every
pattern named below), and progress lines for long work instead of progress bars."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator

# Written by TensorFlow's and MediaPipe's C++ code straight to stderr when their libraries load
# or a graph starts; no environment variable removes them (TF_CPP_MIN_LOG_LEVEL, GLOG_* and
# ABSL_* were tried). Each pattern names one message.
NATIVE_NOISE = re.compile("|".join((
    r"Unable to register cu(DNN|BLAS|FFT) factory",  # TensorFlow: CUDA plugins on a CPU machine
    r"computation placer already registered",  # TensorFlow/XLA: plugin registered twice
    r"All log messages before absl::InitializeLog\(\) is called",  # absl: banner
    r"Ignored output_format\.|Ignored drop_control_dependency\.",  # TFLite converter options
    r"MLIR V1 optimization pass is not enabled",  # TFLite converter
    r"Created TensorFlow Lite XNNPACK delegate for CPU",  # TFLite / MediaPipe: normal start
    r"inference_feedback_manager\.cc",  # MediaPipe: single-signature models, per graph
    r"landmark_projection_calculator\.cc",  # MediaPipe: NORM_RECT without image size
    r"gl_context\.cc|GL version|OpenGL error checking is disabled",  # MediaPipe: no GPU
    r"cuda_platform\.cc.*failed call to cuInit|cudart_stub\.cc|Could not find cuda drivers",
    r"oneDNN custom operations are on",  # TensorFlow: numerical note on CPU
    r"cpu_feature_guard\.cc|To enable the following instructions",  # TensorFlow: CPU features
)))


@contextlib.contextmanager
def native_noise_filtered() -> Iterator[None]:
    """Run a block with stderr (file descriptor 2) captured, then print every line of it except
    the known start-up noise, so real warnings and errors still show."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if not NATIVE_NOISE.search(line):
                    sys.stderr.write(line)
            sys.stderr.flush()


_filter_installed = False


def filter_native_noise() -> None:
    """For a long-running process (the app's server, `predict` on videos): from now on, lines
    written to stderr that match the known native noise are dropped, the rest pass through.
    MediaPipe logs some of it on the first person it sees, long after start-up."""
    global _filter_installed
    if _filter_installed:
        return
    _filter_installed = True
    sys.stderr.flush()
    original, restore = os.dup(2), os.dup(2)
    reader, writer = os.pipe()
    os.dup2(writer, 2)
    os.close(writer)

    def relay() -> None:
        with os.fdopen(reader, "rb") as lines, os.fdopen(original, "wb", buffering=0) as out:
            for line in lines:
                if not NATIVE_NOISE.search(line.decode(errors="replace")):
                    out.write(line)

    relaying = threading.Thread(target=relay, name="stderr-filter", daemon=True)
    relaying.start()

    def drain() -> None:  # at exit: end the pipe and let the relay pass its last lines
        sys.stderr.flush()
        os.dup2(restore, 2)
        relaying.join(timeout=5)

    atexit.register(drain)


def import_tensorflow():
    """TensorFlow, imported once with its load-time chatter filtered."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with native_noise_filtered():
        import tensorflow

        tensorflow.constant(0)  # device set-up logs on first use
    return tensorflow


def progress(items: Iterable, total: int, what: str, logger: logging.Logger,
             every_s: float = 15.0) -> Iterator:
    """Yield `items`, logging "what: done/total" at most every `every_s` seconds and at the end
    (nothing for a single item: there is nothing to follow)."""
    started = last = time.monotonic()
    for done, item in enumerate(items, start=1):
        yield item
        now = time.monotonic()
        if total > 1 and (now - last >= every_s or done == total):
            last = now
            logger.info("%s: %d/%d (%.0f s)", what, done, total, now - started)
