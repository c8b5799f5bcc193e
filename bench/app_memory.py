"""Benchmark: the serving deployment's memory over many sequential predictions.

    uv run python run_pipeline.py serve          # the app as a ZenML deployment
    uv run python -m bench.app_memory [--requests 200]

Sends one short clip of a real person to the running deployment's `POST /api/recognise`
`--requests` times, and prints the server process's resident memory after warm-up and at the end
(its pid comes from the deployment's record).
"""

import argparse
import tempfile
import time
import urllib.request
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

from mlops import service  # noqa: E402
from tests.clips import person_clip  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def recognise(url: str, clip: Path) -> None:
    boundary = "bench-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; "
            f"filename=\"{clip.name}\"\r\n\r\n").encode() + clip.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{url}/api/recognise", body,
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=120) as reply:  # noqa: S310
        assert reply.status == 200


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--requests", type=int, default=200)
    args = cli.parse_args()
    state = service.status()
    if not state.get("healthy"):
        raise SystemExit("no running deployment: start it with `run_pipeline.py serve`")
    url, pid = state["url"], int(state["pid"])
    with tempfile.TemporaryDirectory() as folder:
        clip = person_clip(Path(folder) / "clip.mp4", seconds=1.0, fps=15, size=(320, 240))
        for _ in range(3):  # warm-up
            recognise(url, clip)
        start_rss, start = rss_mb(pid), time.perf_counter()
        for _ in range(args.requests):
            recognise(url, clip)
        seconds = time.perf_counter() - start
        end_rss = rss_mb(pid)
    print(f"{args.requests} sequential predictions in {seconds:.0f} s "
          f"({seconds / args.requests * 1000:.0f} ms each, 1-s 320x240 clip)")
    print(f"server RSS after warm-up: {start_rss:.0f} MB, after {args.requests}: {end_rss:.0f} MB "
          f"({end_rss / start_rss:.2f}x)")


if __name__ == "__main__":
    main()
