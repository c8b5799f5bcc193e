"""Benchmark: live practice keeps up with the camera (goal: landmarks + segmentation <= 66 ms a
frame, i.e. 15 fps), on frames of a real person at webcam size.

    uv run python -m bench.live_practice [--frames 150] [--size 640x480]
"""

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

from signbridge.serving.live import SignSegmenter  # noqa: E402
from signbridge.serving.video import HolisticExtractor, VideoLimits, read_video  # noqa: E402
from tests.clips import person_clip  # noqa: E402

GOAL_MS = 66.0


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--frames", type=int, default=150)
    cli.add_argument("--size", default="640x480")
    args = cli.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        clip = person_clip(Path(folder) / "camera.mp4", seconds=args.frames / 30, fps=30,
                           size=(width, height))
        frames = read_video(clip, VideoLimits(max_frames=args.frames, max_side=max(width,
                                                                                     height))).frames
    started = time.perf_counter()
    extractor = HolisticExtractor()
    load_s = time.perf_counter() - started
    segmenter = SignSegmenter()
    timings = []
    for frame in frames:
        started = time.perf_counter()
        segmenter.push(extractor.track(frame))
        timings.append((time.perf_counter() - started) * 1000)
    timings = timings[5:]  # the tracker settles on the first frames
    median = statistics.median(timings)
    p95 = sorted(timings)[int(0.95 * len(timings))]
    print(f"{platform.machine()}, Python {platform.python_version()}: {len(timings)} frames of "
          f"{width}x{height}, MediaPipe start {load_s:.1f} s")
    print(f"landmarks + segmentation per frame: median {median:.1f} ms, p95 {p95:.1f} ms "
          f"(goal {GOAL_MS:.0f} ms: median {median / GOAL_MS:.2f}x, p95 {p95 / GOAL_MS:.2f}x); "
          f"{1000 / median:.1f} frames/s")


if __name__ == "__main__":
    main()
