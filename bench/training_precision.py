"""Benchmark: the classifier's training speed per precision and XLA setting (the model alone).

    uv run python -m bench.training_precision [--config configs/train_full.yaml] [--epochs 4]

Random features shaped like the config's input (batch, max_frames, points, channels), so it
needs no data. For each dtype policy (float32, mixed_float16, mixed_bfloat16) and XLA off/on it
fits the config's network with its optimizer and batch size, and prints sequences per second and
the last loss (finite: the policy is numerically safe for this model). On a CPU the mixed
policies are slower: they are for GPUs with tensor cores.
"""

import argparse
import math
import platform
import time
from datetime import date
from pathlib import Path

import keras
import numpy as np
import yaml

from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.landmarks import NUM_SIGNS, FeatureLayout
from signbridge.model.network import build_classifier

BATCHES = 8  # distinct batches per epoch, held in memory


def fit_rate(network: ModelConfig, training: TrainConfig, max_frames: int, precision: str,
             xla: bool, epochs: int, layout: FeatureLayout | None = None) -> tuple[float, float]:
    """Sequences per second over `epochs` epochs after one warm-up epoch, and the last loss."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    count = BATCHES * training.batch_size
    layout = layout or FeatureLayout()
    features = rng.normal(size=(count, max_frames, layout.points, layout.channels)).astype("float32")
    masks = (np.arange(max_frames)[None] < rng.integers(4, max_frames + 1, (count, 1))).astype(
        "float32")
    targets = keras.utils.to_categorical(rng.integers(0, NUM_SIGNS, count), NUM_SIGNS)
    model = build_classifier(network, max_frames, precision, layout)
    model.compile(optimizer=keras.optimizers.AdamW(training.learning_rate,
                                                   weight_decay=training.weight_decay),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  jit_compile=xla)
    inputs = [features, masks]
    model.fit(inputs, targets, batch_size=training.batch_size, epochs=1, verbose=0)  # compile
    start = time.perf_counter()
    history = model.fit(inputs, targets, batch_size=training.batch_size, epochs=epochs, verbose=0)
    return count * epochs / (time.perf_counter() - start), history.history["loss"][-1]


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--config", default="configs/train_full.yaml")
    cli.add_argument("--epochs", type=int, default=4)
    cli.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    cli.add_argument("--precision", nargs="+",
                     default=["float32", "mixed_float16", "mixed_bfloat16"])
    cli.add_argument("--xla", nargs="+", choices=["off", "on"], default=["off", "on"])
    args = cli.parse_args()
    parameters = yaml.safe_load(Path(args.config).read_text())["parameters"]
    preprocess = PreprocessConfig(**parameters.get("preprocess", {}))
    network = ModelConfig(**parameters.get("network", {}))
    training = TrainConfig(**parameters.get("training", {}))
    if args.batch_size:
        training = training.model_copy(update={"batch_size": args.batch_size})
    devices = _devices()
    print(f"{date.today()} · {platform.machine()} · Keras {keras.__version__} "
          f"({keras.config.backend()}) · {', '.join(devices)} · {args.config}: "
          f"batch {training.batch_size}, {preprocess.max_frames} frames, width {network.width}")
    baseline = None
    for xla in args.xla:
        for precision in args.precision:
            rate, loss = fit_rate(network, training, preprocess.max_frames, precision,
                                  xla == "on", args.epochs, preprocess.layout())
            baseline = baseline or rate
            print(f"{precision:15s} XLA {xla:3s}: {rate:9.0f} seq/s ({rate / baseline:4.2f}x)  "
                  f"last loss {loss:.3f}{'' if math.isfinite(loss) else '  NOT FINITE'}")


def _devices() -> list[str]:
    if keras.config.backend() == "jax":
        import jax

        return [d.device_kind for d in jax.devices()]
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return [tf.config.experimental.get_device_details(g).get("device_name", g.name)
            for g in gpus] or ["CPU"]


if __name__ == "__main__":
    main()
