"""`run_pipeline.py crossval` end to end, on the tiny config: a model per fold, the per-fold and
threshold tables printed, and the run with its figures in MLflow."""

import subprocess

import mlflow
import pandas as pd
from PIL import Image

from signbridge import workspace
from signbridge.data.files import read_index
from tests.conftest import PROJECT_ROOT, SAMPLE_ROOT, cli_command, isolated_env, write_config


def test_crossval_trains_a_model_per_fold_and_reports_every_threshold(tmp_path, monkeypatch):
    config = write_config("configs/train_tiny.yaml", tmp_path / "tiny_one_member.yaml",
                          network={"members": 1})  # the ensemble is tested by the pipeline tests
    errors = tmp_path / "stderr.txt"
    command = cli_command("crossval", "--config", str(config), "--data", str(SAMPLE_ROOT),
                          "--folds", "2")
    # stderr to a file: a full pipe would stall the run. Leaving the block kills the run if an
    # assertion failed while it trained.
    with errors.open("w") as stderr, subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=isolated_env(tmp_path), stdout=subprocess.PIPE,
            stderr=stderr, text=True) as process:
        try:
            first = []  # the lines up to the first fold's (all of them if the run ended first)
            for line in process.stdout:
                first.append(line.rstrip("\n"))
                if line.startswith("fold "):
                    break
            for name, value in isolated_env(tmp_path).items():
                monkeypatch.setenv(name, value)
            client = mlflow.MlflowClient(workspace.mlflow_tracking_uri())
            # While the second fold trains, the first one's clips are already in the run: a run
            # stopped half way keeps its finished folds.
            assert first and first[-1].startswith("fold  1"), errors.read_text()[-3000:]
            so_far = pd.read_csv(client.download_artifacts(
                _only_run(client).info.run_id, "crossval/clips.csv", str(tmp_path / "so_far")))
            assert set(so_far["fold"]) == {1} and len(so_far) > 100
            stdout, _ = process.communicate(timeout=900)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, errors.read_text()[-3000:]
    lines = first + stdout.splitlines()
    folds = [line for line in lines if line.startswith("fold ")]
    assert len(folds) == 2 and all("other signs not sure" in line for line in folds)
    assert any(line.startswith("| **worst** |") for line in lines)
    thresholds = [line for line in lines if line.startswith("| 0.")]
    assert [line.split(" | ")[0] for line in thresholds] == [
        f"| {t / 100:.2f}" for t in range(50, 100, 5)]

    run = _only_run(client)
    assert run.data.params["folds"] == "2"
    assert 0 <= run.data.metrics["crossval/top1_accuracy_mean"] <= 1
    assert "crossval/asl-app-100/unknown_not_sure_worst" in run.data.metrics
    figure = Image.open(client.download_artifacts(run.info.run_id, "crossval/thresholds.png",
                                                  str(tmp_path)))
    assert figure.width > 400 and figure.height > 300
    clips = pd.read_csv(client.download_artifacts(run.info.run_id, "crossval/clips.csv",
                                                  str(tmp_path)))
    held_out = clips[clips["source"] == "held_out"]
    index = read_index(SAMPLE_ROOT)
    assert sorted(held_out["clip"]) == sorted(  # every sequence held out once, named
        f"{who}/{what}" for who, what in zip(index["participant_id"], index["sequence_id"], strict=True))
    refused_by_shape = clips["reason"].fillna("").str.contains("hand's shape")
    assert (clips.loc[refused_by_shape, "handshape_distance"]
            > clips.loc[refused_by_shape, "handshape_limit"]).all()
    assert set(held_out["fold"]) == {1, 2} and held_out["known"].all()
    assert clips["confidence"].between(0, 1).all()
    assert clips["known_share"].between(0, 1 + 1e-6).all()  # a share of the whole output
    accepted = clips[clips["accepted"]]
    assert (accepted["confidence"] >= accepted["accepts_from"]).all()  # what each clip needed
    refused = clips[~clips["accepted"]]
    assert refused["reason"].str.len().gt(0).all()  # every "not sure" says why
    other = clips[clips["source"] == "asl-app-100"]
    assert len(other) == 2 * 100 and (~other["known"]).sum() == 2 * 98


def _only_run(client: mlflow.MlflowClient):
    run, = client.search_runs([client.get_experiment_by_name("signbridge-crossval").experiment_id])
    return run
