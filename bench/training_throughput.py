"""Benchmark: training throughput, and whether the input pipeline or the model is the bottleneck.

    uv run python -m bench.training_throughput [--config configs/train_sample.yaml] [--epochs 3]

Three measurements on the bundled sample: the tf.data input pipeline alone (read landmark shards,
augment afresh, add the counterexamples the config asks for, preprocess, shuffle, batch), the
model alone (fit on the same batches held in memory), and the real thing (fit streaming).
Sequences per second for each (counterexamples count as sequences).
"""

import argparse
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from signbridge.config import (  # noqa: E402
    PROJECT_ROOT,
    ModelConfig,
    PreprocessConfig,
    load_training_config,
)
from signbridge.data.files import read_index  # noqa: E402
from signbridge.data.shards import build_shard_cache  # noqa: E402
from signbridge.model.features import training_dataset  # noqa: E402
from signbridge.model.network import build_classifier  # noqa: E402


def fit_rate(dataset, sequences: int, network: ModelConfig, preprocess: PreprocessConfig,
             epochs: int):
    model = build_classifier(network, preprocess.max_frames, layout=preprocess.layout())
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    model.fit(dataset.take(1), epochs=1, verbose=0)  # build and trace once
    start = time.perf_counter()
    model.fit(dataset, epochs=epochs, verbose=0)
    return sequences * epochs / (time.perf_counter() - start)


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--config", default="configs/train_sample.yaml")
    cli.add_argument("--epochs", type=int, default=3)
    args = cli.parse_args()
    config = load_training_config(args.config)
    preprocess, network, training = config.preprocess, config.network, config.training
    with tempfile.TemporaryDirectory() as folder:
        shards, _ = build_shard_cache(read_index(PROJECT_ROOT / "data" / "sample"),
                                      Path(folder) / "raw", shard_size=32)
        streamed = training_dataset(shards, preprocess, training.batch_size, 0,
                                    training.counterexample_weight)
        sequences = sum(len(batch[1]) for batch in streamed)

        start = time.perf_counter()
        for _ in range(args.epochs):
            for _ in streamed:
                pass
        input_rate = sequences * args.epochs / (time.perf_counter() - start)
        cached = streamed.cache()
        for _ in cached:  # fill the in-memory cache
            pass
        model_rate = fit_rate(cached, sequences, network, preprocess, args.epochs)
        real_rate = fit_rate(streamed, sequences, network, preprocess, args.epochs)
    print(f"{date.today()} · {platform.machine()} · TensorFlow {tf.__version__} · "
          f"{sequences} training sequences per epoch (augmented afresh)")
    print(f"input pipeline alone : {input_rate:9.0f} seq/s")
    print(f"model alone (cached) : {model_rate:9.0f} seq/s")
    print(f"training, streaming  : {real_rate:9.0f} seq/s")
    bottleneck = "the model" if model_rate < input_rate else "the input pipeline"
    print(f"bottleneck: {bottleneck} (input is {input_rate / model_rate:.1f}x the model's rate)")


if __name__ == "__main__":
    main()
