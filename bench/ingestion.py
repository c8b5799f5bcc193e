"""Benchmark: ingestion throughput and memory, the project's shard cache against the usual loader.

    uv run python -m bench.ingestion [--data DIR] [--files 5000] [--large 20000] [--workers 2]

Baseline: what most notebooks do per sequence, `pandas.read_parquet` of the whole file then a
reshape to [n, 543, 3], one process. Project: `build_shard_cache` (only the needed columns,
dictionary-coded checks, model rows as float16, 2 worker processes), into an empty cache.
Both read the same files. Without --data, a synthetic competition folder is generated (once) under
/tmp/signbridge-bench (synthetic: for speed only). Peak RSS is measured in a fresh process per
size (parent and workers). Both loaders read files already in the page cache (read once before
timing); the 20k-file run may read from disk. The full-set time is extrapolated from its rate.
"""

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from signbridge.config import PROJECT_ROOT
from signbridge.data.files import load_sequences, read_index
from signbridge.data.synth import generate

FULL_SET = 94_477
BENCH_DIR = Path("/tmp/signbridge-bench")


def synthetic_folder(files: int) -> Path:
    folder = BENCH_DIR / f"synth-{files}"
    if not (folder / "train.csv").is_file():
        source = load_sequences(read_index(PROJECT_ROOT / "data" / "sample")).dataset
        print(f"generating {files} synthetic sequences in {folder} ...", flush=True)
        generate(source, files, folder, seed=1)
    return folder


def baseline_rate(index: pd.DataFrame) -> float:
    start = time.perf_counter()
    for path in index["path"]:
        pd.read_parquet(path)[["x", "y", "z"]].to_numpy(np.float32).reshape(-1, 543, 3)
    return len(index) / (time.perf_counter() - start)


def project_run(data: Path, files: int, workers: int) -> dict:
    """Ingest in a fresh process (so peak RSS is this run's alone); returns its figures."""
    code = f"""
import json, resource, shutil, time
from pathlib import Path
from signbridge.data.files import read_index
from signbridge.data.shards import build_shard_cache
cache = Path("{BENCH_DIR}/cache-{files}")
shutil.rmtree(cache, ignore_errors=True)
index = read_index("{data}").head({files})
start = time.perf_counter()
shards, rejected = build_shard_cache(index, cache, workers={workers})
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "sequences": len(index),
    "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "cache_mb": sum(p.stat().st_size for p in cache.iterdir()) / 1e6}}))
shutil.rmtree(cache, ignore_errors=True)
"""
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=PROJECT_ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--data", type=Path, default=None, help="competition-layout folder")
    cli.add_argument("--files", type=int, default=5000)
    cli.add_argument("--large", type=int, default=20000, help="second size, for the RSS check")
    cli.add_argument("--workers", type=int, default=2)
    args = cli.parse_args()
    data = args.data or synthetic_folder(args.large)
    index = read_index(data).head(args.files)
    print(f"{date.today()} · {platform.machine()} · {len(__import__('os').sched_getaffinity(0))} "
          f"cores · data: {data} ({'synthetic' if args.data is None else 'given'})")

    for path in index["path"]:  # same (warm) page cache for both loaders
        Path(path).read_bytes()
    base = baseline_rate(index)
    small = project_run(data, args.files, args.workers)
    one_worker = project_run(data, args.files, 1)
    rate = small["sequences"] / small["seconds"]
    rate_one = one_worker["sequences"] / one_worker["seconds"]
    print(f"baseline pandas, 1 process : {base:8.1f} seq/s")
    print(f"project, 1 worker          : {rate_one:8.1f} seq/s  ({rate_one / base:.2f}x)")
    print(f"project, {args.workers} workers         : {rate:8.1f} seq/s  ({rate / base:.2f}x, "
          f"goal 5x)")
    print(f"cache size                 : {small['cache_mb']:.1f} MB for {args.files} sequences")

    large = project_run(data, args.large, args.workers)
    print(f"peak RSS at {args.files:>6} files  : parent {small['parent_rss_mb']:.0f} MB, "
          f"largest worker {small['worker_rss_mb']:.0f} MB")
    print(f"peak RSS at {args.large:>6} files  : parent {large['parent_rss_mb']:.0f} MB, "
          f"largest worker {large['worker_rss_mb']:.0f} MB  (ratio "
          f"{large['parent_rss_mb'] / small['parent_rss_mb']:.2f}x / "
          f"{large['worker_rss_mb'] / small['worker_rss_mb']:.2f}x, goal <= 1.2x)")
    large_rate = large["sequences"] / large["seconds"]
    print(f"full set projection        : {FULL_SET / large_rate / 60:.1f} min for {FULL_SET} "
          f"sequences at the {args.large}-file rate of {large_rate:.0f} seq/s "
          "(extrapolated, goal <= 10 min)")
    shutil.rmtree(BENCH_DIR / f"cache-{args.files}", ignore_errors=True)


if __name__ == "__main__":
    main()
