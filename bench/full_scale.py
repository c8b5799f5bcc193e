"""Benchmark: a full-scale dry run of the full-data recipe on this machine.

    uv run python -m bench.full_scale [--sequences 94477] [--out /tmp/signbridge-full]
                                      [--train-fraction 1.0] [--config configs/train_full.yaml]

Stages, each in a fresh process so its peak memory is its own: `synth` writes a SYNTHETIC
competition-layout folder of `--sequences` files (zstd parquet, kept between runs), `ingest`
builds the shard cache, `features` preprocesses the held-out signers, `train` trains the full
recipe for one epoch on `--train-fraction` of the training shards (a fraction is extrapolated to
the epoch and said so). Prints wall time, peak RSS (sampled every 2 s, so memory over time is
shown too) and disk used per stage; synthetic data measures speed and memory, never accuracy.
"""

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

from signbridge.config import PROJECT_ROOT  # noqa: E402

STAGES = ("synth", "ingest", "features", "train")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MemoryTrace:
    """RSS of this process sampled every `every` seconds while a stage runs."""

    def __init__(self, every: float = 2.0) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(rss_mb())

    def __enter__(self) -> "MemoryTrace":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6 if path.exists() \
        else 0.0


def run_stage(stage: str, args: argparse.Namespace) -> dict:
    """One stage in this process; returns its figures."""
    from signbridge.config import load_training_config
    from signbridge.data.files import read_index, split_signers
    from signbridge.data.shards import build_shard_cache

    config = load_training_config(args.config)
    data, cache = Path(args.out) / "data", Path(args.out) / "cache"
    started = time.perf_counter()
    figures: dict = {"stage": stage}
    with MemoryTrace() as memory:
        if stage == "synth":
            from signbridge.data.files import load_sequences
            from signbridge.data.synth import generate

            source = load_sequences(read_index(PROJECT_ROOT / "data" / "sample")).dataset
            generate(source, args.sequences, data, seed=0, compression="zstd")
            figures["disk_mb"] = disk_mb(data)
        else:
            index = read_index(data)
            shards, _ = build_shard_cache(index, cache / "shards", config.data.shard_size,
                                          config.data.workers)
            split = split_signers(index["participant_id"], config.split.evaluation_signers,
                                  config.split.validation_signers, config.split.seed)
            if stage == "ingest":
                figures.update(sequences=shards.sequences, disk_mb=disk_mb(cache / "shards"))
            elif stage == "features":
                from signbridge.model.features import build_feature_shards

                for name in ("validation", "evaluation"):
                    built = build_feature_shards(shards.restricted_to(getattr(split, name)),
                                                 config.preprocess, cache / "features")
                    figures[f"{name}_sequences"] = built.sequences
                figures["disk_mb"] = disk_mb(cache / "features")
            else:
                figures.update(train_stage(shards, split, config, cache, args.train_fraction))
    figures.update(seconds=time.perf_counter() - started,
                   peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   workers_peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                   rss_trace_mb=[round(s) for s in memory.samples[::max(1, len(memory.samples) // 20)]])
    return figures


def train_stage(shards, split, config, cache: Path, fraction: float) -> dict:
    from signbridge.data.shards import ShardSet
    from signbridge.model.features import build_feature_shards
    from signbridge.model.training import train_classifier

    train = shards.restricted_to(split.train)
    kept = max(1, round(len(train.shards) * fraction))
    part = ShardSet(train.cache_dir, train.shards[:kept], 0, train.participants)
    part = part.restricted_to(split.train)  # counts the sequences of the kept shards
    validation = build_feature_shards(shards.restricted_to(split.validation), config.preprocess,
                                      cache / "features").load()
    one_epoch = config.training.model_copy(update={"epochs": 1, "min_epochs": 0})
    started = time.perf_counter()
    result = train_classifier(part, validation, config.preprocess, config.network, one_epoch)
    seconds = time.perf_counter() - started
    return {"train_sequences": part.sequences, "epoch_sequences": train.sequences,
            "fraction": part.sequences / train.sequences, "train_seconds": seconds,
            "sequences_per_second": part.sequences / seconds,
            "epoch_minutes_extrapolated": train.sequences / (part.sequences / seconds) / 60,
            "parameters": result.model.count_params()}


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--sequences", type=int, default=94_477)
    cli.add_argument("--out", default="/tmp/signbridge-full")
    cli.add_argument("--config", default="configs/train_full.yaml")
    cli.add_argument("--train-fraction", type=float, default=1.0)
    cli.add_argument("--stage", choices=STAGES, default=None, help="run one stage (internal)")
    cli.add_argument("--fresh-cache", action="store_true", help="rebuild the caches")
    args = cli.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args)), flush=True)
        return
    if args.fresh_cache:
        shutil.rmtree(Path(args.out) / "cache", ignore_errors=True)
    print(f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
          f"Python {platform.python_version()}: {args.sequences:,} SYNTHETIC sequences in "
          f"{args.out}, recipe {args.config}", flush=True)
    results = []
    for stage in STAGES:
        if stage == "synth" and (Path(args.out) / "data" / "train.csv").is_file():
            print("synth: the folder exists; kept", flush=True)
            continue
        output = subprocess.run(
            [sys.executable, "-m", "bench.full_scale", "--stage", stage, "--sequences",
             str(args.sequences), "--out", args.out, "--config", args.config,
             "--train-fraction", str(args.train_fraction)],
            capture_output=True, text=True, cwd=PROJECT_ROOT)
        if output.returncode:
            raise SystemExit(f"{stage} failed:\n{output.stderr[-3000:]}")
        figures = json.loads(output.stdout.strip().splitlines()[-1])
        results.append(figures)
        print(json.dumps(figures), flush=True)
    (Path(args.out) / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
