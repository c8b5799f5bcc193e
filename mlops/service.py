"""Run the app as a background service: pid file, log file, health check, clean SIGTERM stop.

Imports neither ZenML nor Gradio, so `status` and `stop` answer at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from signbridge import workspace
from signbridge.config import PROJECT_ROOT
from signbridge.errors import SignbridgeError


@dataclass
class ServiceState:
    pid: int
    url: str
    model_dir: str
    model_version: str
    log_file: str


def _state_file() -> Path:
    return workspace.service_dir() / "app.json"


def log_file() -> Path:
    return workspace.service_dir() / "app.log"


def read_state() -> ServiceState | None:
    try:
        return ServiceState(**json.loads(_state_file().read_text()))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local URL)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def status() -> dict[str, object]:
    """Whether the app runs and answers, with its URL, pid, model version and log file."""
    state = read_state()
    if state is None:
        return {"running": False}
    running = _alive(state.pid)
    return {**asdict(state), "running": running, "healthy": running and healthy(state.url)}


def start(
    model_dir: Path, model_version: str, host: str, port: int, config: Path,
    timeout: float = 180.0,
) -> ServiceState:
    """Start the app in the background on `model_dir` and wait until it answers."""
    stop()
    url = f"http://{host}:{port}/"
    if healthy(url, timeout=1.0):
        raise SignbridgeError(f"port {port} on {host} is already in use; set app.port in {config}")
    workspace.service_dir().mkdir(parents=True, exist_ok=True)
    log = log_file().open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.ui", "--model-dir", str(model_dir),
         "--config", str(config), "--host", host, "--port", str(port)],
        cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    state = ServiceState(process.pid, url, str(model_dir), model_version, str(log_file()))
    _state_file().write_text(json.dumps(asdict(state), indent=1))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SignbridgeError(f"the app exited during start-up; see {log_file()}")
        if healthy(url):
            return state
        time.sleep(1.0)
    stop()
    raise SignbridgeError(f"the app did not answer at {url} within {timeout:.0f} s; see {log_file()}")


def stop(timeout: float = 20.0) -> bool:
    """SIGTERM the app (SIGKILL after `timeout`); returns whether one was running."""
    state = read_state()
    if state is None:
        return False
    was_running = _alive(state.pid)
    if was_running:
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(state.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(state.pid):
            os.kill(state.pid, signal.SIGKILL)
    _state_file().unlink(missing_ok=True)
    return was_running
