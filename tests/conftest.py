"""Shared fixtures: real sample data, small real parquet files, one real trained workspace."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from signbridge.config import PROJECT_ROOT
from signbridge.data.files import LandmarkDataset, load_sequences, read_index

SAMPLE_ROOT = PROJECT_ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dataset() -> LandmarkDataset:
    return load_sequences(read_index(SAMPLE_ROOT)).dataset


@pytest.fixture(scope="session")
def sample_files() -> list[Path]:
    return sorted((SAMPLE_ROOT / "train_landmark_files").rglob("*.parquet"))


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment, pointed at `home` and at nothing else's stores."""
    env = {**os.environ, "SIGNBRIDGE_HOME": str(home)}
    env.pop("ZENML_CONFIG_PATH", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def cli_command(*args: str) -> list[str]:
    """The command line of `run_pipeline.py` with `args`, run by this interpreter."""
    return [sys.executable, str(PROJECT_ROOT / "run_pipeline.py"), *args]


def run_cli(*args: str, home: Path, timeout: int = 900,
            env_overrides: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `run_pipeline.py` in a fresh process against an isolated workspace."""
    env = {**isolated_env(home), **(env_overrides or {})}
    return subprocess.run(cli_command(*args), cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory) -> Path:
    """A workspace where the tiny training config has run once on the real ZenML stack."""
    home = tmp_path_factory.mktemp("signbridge-home")
    result = run_cli("train", "--config", "configs/train_tiny.yaml", home=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return home


def cli_json(result: subprocess.CompletedProcess) -> dict:
    """The JSON object a command printed (library log lines around it are skipped)."""
    text = result.stdout
    return json.loads(text[text.index("{"):text.rindex("}") + 1])


def parse_json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def random_sequence(frames: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((frames, 543, 3), dtype=np.float32)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lean(**sections: dict) -> dict[str, dict]:
    """Config overrides for tests of something other than the model (deployment, tracking): one
    member, no quantized exports, no other-source evaluation; `sections` add to or override them."""
    overrides = {"network": {"members": 1}, "export": {"quantized": []},
                 "evaluation": {"other_sources": []}}
    for section, values in sections.items():
        overrides[section] = overrides.get(section, {}) | values
    return overrides


def write_config(source: str, path: Path, **overrides: dict) -> Path:
    """A copy of a YAML config with some `parameters:` sections updated."""
    import yaml

    config = yaml.safe_load((PROJECT_ROOT / source).read_text())
    for section, values in overrides.items():
        config["parameters"][section].update(values)
    path.write_text(yaml.safe_dump(config))
    return path
