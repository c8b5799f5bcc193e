"""Benchmark: the app's memory over many sequential predictions (RSS at start and end).

    uv run python -m bench.app_memory --model DIR [--requests 200]

Starts the app on an exported model (`run_pipeline.py export --out DIR`) on a free local port,
sends one short clip of a real person through `gradio_client` `--requests` times, and prints the
app process's resident memory after warm-up and at the end.
"""

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradio_client import Client, handle_file

from mlops import service
from signbridge.config import PROJECT_ROOT
from tests.clips import person_clip


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--model", type=Path, required=True)
    cli.add_argument("--requests", type=int, default=200)
    args = cli.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        clip = person_clip(Path(folder) / "clip.mp4", seconds=1.0, fps=15, size=(320, 240))
        app = subprocess.Popen(
            [sys.executable, "-m", "app.ui", "--model-dir", str(args.model),
             "--port", str(port)],
            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        try:
            while not service.healthy(url):
                time.sleep(1)
            client = Client(url, verbose=False)
            for _ in range(3):  # warm-up: MediaPipe loads on the first request
                client.predict(handle_file(str(clip)), api_name="/recognise")
            start_rss, start = rss_mb(app.pid), time.perf_counter()
            for i in range(args.requests):
                label, _, _ = client.predict(handle_file(str(clip)), api_name="/recognise")
                assert len(label["confidences"]) == 10, f"request {i}: {label}"
            seconds = time.perf_counter() - start
            end_rss = rss_mb(app.pid)
        finally:
            app.terminate()
            app.wait(30)
    print(f"{args.requests} sequential predictions in {seconds:.0f} s "
          f"({seconds / args.requests * 1000:.0f} ms each, 15 frames of 320x240)")
    print(f"app RSS after warm-up: {start_rss:.0f} MB, after {args.requests}: {end_rss:.0f} MB "
          f"({end_rss / start_rss:.2f}x)")


if __name__ == "__main__":
    main()
