"""Benchmark: video -> top-10 signs for a 2-s 30-fps clip, split into decode / landmarks / model.

    uv run python -m bench.video_to_top10 [--model DIR] [--repeats 5] [--frames 32]

The clip shows a real person (scikit-image's astronaut photo). MediaPipe is loaded once before
timing (a one-off ~10 s per process, also printed). Goal: total <= 1.5 s on this CPU.
"""

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

from signbridge.serving.package import ModelPackage  # noqa: E402
from signbridge.serving.recognition import Recogniser  # noqa: E402
from signbridge.serving.video import VideoLimits, get_extractor  # noqa: E402
from tests.clips import person_clip  # noqa: E402


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--model", required=True, help="a model package folder (`export --out`)")
    cli.add_argument("--repeats", type=int, default=5)
    args = cli.parse_args()

    start = time.perf_counter()
    get_extractor()
    load_seconds = time.perf_counter() - start
    recogniser = Recogniser(ModelPackage.read(args.model), VideoLimits())
    frames = recogniser.limits.max_frames  # the package's frame count
    with tempfile.TemporaryDirectory() as folder:
        clip = person_clip(Path(folder) / "clip.mp4", seconds=2.0, fps=30, size=(640, 480))
        recogniser.video(clip)  # warm-up
        runs = [recogniser.video(clip).timings for _ in range(args.repeats)]
    print(f"machine: {platform.machine()}, {platform.python_version()}, "
          f"clip: 2.0 s, 30 fps, 640x480, {frames} frames sampled (the package's), "
          f"{args.repeats} runs")
    print(f"MediaPipe load (once per process): {load_seconds:.2f} s")
    for stage in ("decode", "landmarks", "model"):
        values = [run[stage] for run in runs]
        print(f"{stage:>10}: median {statistics.median(values) * 1000:8.1f} ms")
    totals = [sum(run.values()) for run in runs]
    total = statistics.median(totals)
    print(f"{'total':>10}: median {total * 1000:8.1f} ms  (goal 1500 ms: {total / 1.5:.2f}x)")


if __name__ == "__main__":
    main()
