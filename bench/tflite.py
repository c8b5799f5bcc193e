"""Benchmark: the exported TFLite model's size, single-thread latency, and parity with Keras.

    uv run python -m bench.tflite [--config configs/train_sample.yaml] [--model DIR]

A classifier is built from the config's network settings, exported the way the pipeline does
(preprocessing inside), and compared with Keras on real sample sequences. With --model, the
latency of that exported model (e.g. the production one from `export`) is measured as well.
Goals: <= 5 MB, <= 2 ms for 64 frames on one thread, parity <= 1e-4.
"""

import argparse
import platform
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from signbridge import workspace

workspace.configure_environment()

from signbridge.config import PROJECT_ROOT, load_training_config  # noqa: E402
from signbridge.data.files import load_sequences, read_index  # noqa: E402
from signbridge.model.export import check_parity, convert_to_tflite  # noqa: E402
from signbridge.model.network import build_classifier  # noqa: E402
from signbridge.serving.classifier import SignClassifier  # noqa: E402
from signbridge.serving.package import ModelPackage  # noqa: E402

FRAME_COUNTS = (16, 64, 256, 600)


def latencies(model: SignClassifier) -> dict[int, float]:
    rng = np.random.default_rng(0)
    return {n: model.latency_ms(rng.random((n, 543, 3), dtype=np.float32), repeats=200)
            for n in FRAME_COUNTS}


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--config", default="configs/train_sample.yaml")
    cli.add_argument("--model", type=Path, default=None)
    args = cli.parse_args()
    config = load_training_config(args.config)
    preprocess, network = config.preprocess, config.network
    classifier = build_classifier(network, preprocess.max_frames, layout=preprocess.layout())
    sample = load_sequences(read_index(PROJECT_ROOT / "data" / "sample")).dataset
    sequences = [sample.sequence(i) for i in range(0, len(sample), 4)]

    print(f"{date.today()} · {platform.machine()} · config {args.config} · "
          f"{classifier.count_params():,} parameters")
    with tempfile.TemporaryDirectory() as folder:
        path = convert_to_tflite(classifier, preprocess, Path(folder) / "model.tflite")
        parity = check_parity(classifier, preprocess, path, sequences, 1e-4)
        model = SignClassifier(path, num_threads=1)
        size_mb = path.stat().st_size / 1e6
        print(f"size: {size_mb:.2f} MB (goal 5 MB: {size_mb / 5:.2f}x)")
        print(f"Keras vs TFLite max abs diff on {parity.sequences} real sequences: "
              f"{parity.max_abs_difference:.2e} (goal 1e-4)")
        for frames, ms in latencies(model).items():
            note = f"  (goal 2 ms: {ms / 2:.2f}x)" if frames == 64 else ""
            print(f"latency, 1 thread, {frames:>3} frames: {ms:6.2f} ms{note}")
    if args.model:
        package = ModelPackage.read(args.model)
        exported = SignClassifier(package.model, num_threads=1)
        print(f"exported model {args.model}: {len(package.model) / 1e6:.2f} MB")
        for frames, ms in latencies(exported).items():
            print(f"latency, 1 thread, {frames:>3} frames: {ms:6.2f} ms")


if __name__ == "__main__":
    main()
