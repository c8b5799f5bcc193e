"""The ZenML dashboard runs beside the project's store: killing it breaks nothing, and a config
left pointing at a dead local server (a plain `zenml login --local`) is noticed and repaired."""

import os
import signal
import subprocess
import sys
import time

import yaml

from signbridge.config import PROJECT_ROOT
from tests.conftest import free_port, isolated_env, run_cli


def _store(home) -> dict:
    config = yaml.safe_load((home / "zenml" / "config.yaml").read_text()) or {}
    return config.get("store") or {}


def test_a_dashboard_killed_by_pid_leaves_the_store_working(trained_home):
    port = free_port()
    started = subprocess.run([sys.executable, "-m", "mlops.dashboard", "start", str(port)],
                             cwd=PROJECT_ROOT, env=isolated_env(trained_home), capture_output=True,
                             text=True, timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr[-3000:]
    assert f"http://127.0.0.1:{port}" in started.stdout
    assert _store(trained_home).get("type") != "rest"  # the project's config was left alone

    os.killpg(int((trained_home / "dashboard" / "dashboard.pid").read_text()), signal.SIGKILL)
    begun = time.monotonic()
    status = run_cli("status", home=trained_home, timeout=120)
    assert status.returncode in (0, 3), status.stderr[-3000:]  # 3: no app serving, said so
    assert "Connection refused" not in status.stderr
    assert time.monotonic() - begun < 60


def test_a_config_pointing_at_a_dead_local_server_is_repaired_in_one_line(trained_home):
    config_file = trained_home / "zenml" / "config.yaml"
    saved = config_file.read_text()
    config = yaml.safe_load(saved)
    dead = f"http://127.0.0.1:{free_port()}"
    config["store"] = {"type": "rest", "url": dead}
    config_file.write_text(yaml.safe_dump(config))
    try:
        status = run_cli("status", home=trained_home, timeout=120)
        notes = [line for line in status.stderr.splitlines() if dead in line]
        assert len(notes) == 1 and "make dashboard" in notes[0], status.stderr[-3000:]
        assert status.returncode in (0, 3) and "Connection refused" not in status.stderr
        assert _store(trained_home).get("type") != "rest"
    finally:
        if _store(trained_home).get("type") == "rest":
            config_file.write_text(saved)
