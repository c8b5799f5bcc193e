"""Faults and hostile input: fail fast, never lose work, never leave the allowed folders."""

import multiprocessing
import os
import time

import numpy as np
import pytest

from signbridge.data.files import read_landmark_file
from signbridge.errors import SignbridgeError
from signbridge.model.promotion import exclusive
from signbridge.tutor.examples import ClipLibrary
from tests.conftest import free_port, parse_json_lines, run_cli
from tests.parquet_files import landmark_frame, write


def test_unreachable_remote_mlflow_fails_fast_before_training(tmp_path):
    start = time.monotonic()
    result = run_cli(
        "train", "--config", "configs/train_tiny.yaml", home=tmp_path,
        env_overrides={"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}"},
    )
    assert result.returncode == 1
    assert "is unreachable" in result.stderr and "MLFLOW_TRACKING_URI" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - start < 60
    assert not (tmp_path / "zenml").exists()  # nothing was started


def _hold_lock(path, entered, release):
    with exclusive(path):
        entered.set()
        release.wait(10)


def test_deploy_lock_excludes_a_second_deployment(tmp_path):
    lock = tmp_path / "deploy.lock"
    entered, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock, entered, release))
    holder.start()
    assert entered.wait(10)
    waited = multiprocessing.Event()

    def second() -> None:
        with exclusive(lock):
            waited.set()

    contender = multiprocessing.Process(target=second)
    contender.start()
    time.sleep(1.0)
    assert not waited.is_set()  # blocked while the first holds the lock
    release.set()
    contender.join(10)
    holder.join(10)
    assert waited.is_set()


def test_tutorial_folder_cannot_be_escaped(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "113_hello_1.mp4").write_bytes(b"clip")
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"outside")
    os.symlink(secret, videos / "113_hello_2.mp4")
    (videos / "999_../../etc_1.mp4".replace("/", "_")).write_bytes(b"odd name")
    library = ClipLibrary(videos, None, tmp_path / "cache")
    assert library.examples("hello") == [(videos / "113_hello_1.mp4").resolve()]
    for hostile in ("../secret", "../../etc/passwd", "hello/../../secret", ""):
        with pytest.raises(SignbridgeError, match="not one of the 250 signs"):
            library.examples(hostile)


def _write_bytes(path, content: bytes):
    path.write_bytes(content)
    return path


@pytest.fixture(scope="module")
def damaged_files(tmp_path_factory, sample_files):
    """One file per kind of damage, each with the reason the loader must give."""
    folder = tmp_path_factory.mktemp("damaged")
    real = landmark_frame(read_landmark_file(sample_files[0]))
    long = landmark_frame(np.random.default_rng(0).random((2000, 543, 3), dtype=np.float32))
    return {
        _write_bytes(folder / "truncated.parquet", sample_files[0].read_bytes()[:3000]):
            "not a readable parquet file",
        _write_bytes(folder / "text.parquet", b"just text"): "not a readable parquet file",
        write(real.drop(columns="x"), folder / "no_x.parquet"): "missing column",
        write(real.iloc[:-1], folder / "rows.parquet"): "not a whole number",
        write(real.assign(x=np.nan, y=np.nan, z=np.nan), folder / "all_nan.parquet"): "all NaN",
        write(real.iloc[:0], folder / "zero.parquet"): "no frames",
        write(real.assign(type="torso"), folder / "torso.parquet"): "unknown landmark type",
        folder / "missing.parquet": "file not found",
        write(long, folder / "long.parquet"): None,  # 2,000 frames is fine
    }


@pytest.mark.slow
def test_predict_gives_each_damaged_file_a_one_line_reason(trained_home, damaged_files):
    result = run_cli("predict", *map(str, damaged_files), home=trained_home)
    assert result.returncode == 1  # some input was bad
    assert "Traceback" not in result.stderr
    outputs = {line["file"]: line for line in parse_json_lines(result.stdout)}
    assert len(outputs) == len(damaged_files)
    for path, reason in damaged_files.items():
        output = outputs[str(path)]
        if reason is None:
            assert output["top10"] and isinstance(output["accepted"], bool)  # 2,000 frames is fine
        else:
            assert reason in output["error"] and str(path) in output["error"]
            assert "\n" not in output["error"]


@pytest.mark.slow
def test_artifact_store_holds_no_pickles(trained_home):
    pickles = []
    for root, _, files in os.walk(trained_home / "artifacts"):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                head = handle.read(2)
            if name.endswith((".pkl", ".pickle")) or head in (b"\x80\x04", b"\x80\x05"):
                pickles.append(path)
    assert pickles == []
