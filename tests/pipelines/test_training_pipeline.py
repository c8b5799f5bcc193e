"""The whole training pipeline on the real ZenML stack and MLflow store, then export and predict."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from tests.conftest import (
    PROJECT_ROOT,
    SAMPLE_ROOT,
    cli_command,
    isolated_env,
    lean,
    parse_json_lines,
    run_cli,
    write_config,
)

pytestmark = pytest.mark.slow


def mlflow_client(home):
    mlflow.set_tracking_uri(f"sqlite:///{home}/artifacts/mlflow.db")
    return mlflow.MlflowClient()


def test_run_is_tracked_in_mlflow(trained_home):
    client = mlflow_client(trained_home)
    experiment = client.get_experiment_by_name("signbridge-training")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags["config"] == "train_tiny" and run.data.tags["git_commit"]
    assert len(run.data.tags["data_fingerprint"]) == 16
    assert len(run.data.tags["evaluation_fingerprint"]) == 16
    params, metrics = run.data.params, run.data.metrics
    assert params["network.width"] == "32" and params["preprocess.max_frames"] == "16"
    assert int(params["sequences_loaded"]) == 269 and params["files_rejected"] == "0"
    assert set(params["evaluation_signers"].split(",")).isdisjoint(params["train_signers"].split(","))
    for name in ("eval/top1_accuracy", "eval/top5_accuracy", "eval/accepted_right",
                 "eval/not_sure", "eval/asl-app-100/unknown_not_sure", "tflite/size_bytes",
                 "tflite/parity_max_abs_diff", "tflite/latency_ms_64_frames"):
        assert name in metrics, name
    assert metrics["tflite/parity_max_abs_diff"] <= 1e-4
    for quantization in ("float16", "dynamic_int8"):  # quantised exports, measured on held-out
        assert metrics[f"tflite/{quantization}/size_bytes"] < metrics["tflite/size_bytes"]
        assert 0.0 <= metrics[f"tflite/{quantization}/eval_top1"] <= 1.0
    # The summary figures are those of the restored epoch, counted from 1 like the curves.
    history = client.get_metric_history(run.info.run_id, "epoch/val_loss")
    assert len(history) >= 2 and min(h.step for h in history) == 1
    best = int(metrics["train/best_epoch"])
    assert metrics["train/val_loss"] == next(h.value for h in history if h.step == best)
    artifacts = {a.path for folder in ("evaluation", "tflite", "plots", "data")
                 for a in client.list_artifacts(run.info.run_id, folder)}
    assert {"evaluation/confusion_matrix.png", "evaluation/coverage.png",
            "evaluation/acceptance_rule.json", "tflite/model_float16.tflite",
            "plots/training_curves.png", "data/rejected_files.csv"} <= artifacts


def test_model_is_registered_in_mlflow_and_zenml(trained_home):
    client = mlflow_client(trained_home)
    (version,) = client.search_model_versions("name = 'signbridge-asl'")
    assert "eval/top1_accuracy" in version.tags and "evaluation_fingerprint" in version.tags
    assert version.tags["known_signs"] == "hello,thankyou"
    assert "## When it says" in version.description  # the model card
    script = (
        "from signbridge import workspace; workspace.configure_environment();"
        "from zenml.client import Client;"
        "from zenml.enums import ArtifactType;"
        "v = Client().get_model_version('signbridge-asl', 'latest');"
        "names = [a.artifact.name for a in Client().list_artifact_versions("
        "model_version_id=v.id, type=ArtifactType.MODEL, size=50).items];"
        "import json; print(json.dumps({'number': v.number,"
        " 'metadata': sorted(v.run_metadata), 'artifacts': sorted(names)}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
        env=isolated_env(trained_home),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    zenml_version = json.loads(result.stdout.strip().splitlines()[-1])
    assert zenml_version["number"] == 1
    assert {"evaluation", "tflite", "evaluation_fingerprint", "acceptance_rule",
            "mlflow_registry_version"} <= set(zenml_version["metadata"])
    assert {"sign_classifier", "model_package"} <= set(zenml_version["artifacts"])


def test_export_writes_the_model_package(trained_home, tmp_path):
    result = run_cli("export", "--out", str(tmp_path / "out"), home=trained_home)
    assert result.returncode == 0, result.stderr[-3000:]
    labels = json.loads((tmp_path / "out" / "labels.json").read_text())
    assert len(labels) == 250 and labels["0"] == "TV"
    assert (tmp_path / "out" / "model.tflite").stat().st_size > 10_000
    package = json.loads((tmp_path / "out" / "package.json").read_text())
    assert package["max_frames"] == 16  # what train_tiny trains on
    assert package["acceptance"]["known_signs"] == ["hello", "thankyou"]
    assert package["acceptance"]["min_confidence"] == 0.75  # the config's fixed threshold
    assert package["acceptance"]["temperature"] == 1.0
    # The handshape check: the known handshapes and the distance it accepts travel along.
    assert len(package["acceptance"]["handshapes"]["shapes"]) == 512
    assert package["acceptance"]["max_handshape_distance"] > 0
    assert package["acceptance"]["fitted_on"]["handshape_signers"] == 13  # train + validation
    card = (tmp_path / "out" / "MODEL_CARD.md").read_text()
    assert "learning aid" in card and "Not** for identifying" in card
    assert "top1_accuracy" in card and "evaluation_signers" in card and "not sure" in card
    known = int(package["metrics"]["known_sequences"])
    assert f" of {known}; 95% interval " in card  # the shares in words, with their uncertainty
    assert "at least 75%" in card and "chosen by leave-signers-out cross-validation" in card
    assert "hand's shape must also be near the trained signs' handshapes" in card


def test_predict_says_whether_each_answer_is_accepted(trained_home, tmp_path):
    files = sorted((SAMPLE_ROOT / "train_landmark_files" / "2044").glob("*.parquet"))[:2]
    one_frame = tmp_path / "one_frame.parquet"
    table = pd.read_parquet(files[0])
    table[table["frame"] == table["frame"].min()].to_parquet(one_frame)
    result = run_cli("predict", *map(str, files), str(one_frame), home=trained_home)
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = parse_json_lines(result.stdout)
    assert [o["file"] for o in outputs] == [*map(str, files), str(one_frame)]
    for output in outputs:
        probabilities = [entry["probability"] for entry in output["top10"]]
        assert probabilities == sorted(probabilities, reverse=True)
        assert {entry["sign"] for entry in output["top10"]} <= {"hello", "thankyou"}
        assert isinstance(output["accepted"], bool)
        assert output["accepted"] or output["reason"]
    assert not outputs[-1]["accepted"] and "too short: 1 frame" in outputs[-1]["reason"]

    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    result = run_cli("predict", str(bad), home=trained_home)
    assert result.returncode == 1
    assert "bad.parquet: not a readable parquet file" in parse_json_lines(result.stdout)[0]["error"]
    assert "Traceback" not in result.stderr


def test_two_configs_compare_side_by_side_in_one_experiment(tmp_path):
    wide, narrow = (write_config("configs/train_tiny.yaml", tmp_path / f"tiny_{name}.yaml",
                                 **lean(network={"width": width}))
                    for name, width in (("wide", 32), ("narrow", 16)))
    result = run_cli("train", "--config", str(wide), "--config", str(narrow),
                     "--experiment", "compare-widths", home=tmp_path / "home")
    assert result.returncode == 0, result.stderr[-4000:]
    client = mlflow_client(tmp_path / "home")
    experiment = client.get_experiment_by_name("compare-widths")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.data.tags["config"] for r in runs) == ["tiny_narrow", "tiny_wide"]
    assert len({r.data.tags["data_fingerprint"] for r in runs}) == 1  # same data
    assert sorted(r.data.params["network.width"] for r in runs) == ["16", "32"]
    assert all("eval/top1_accuracy" in r.data.metrics for r in runs)


def _epochs_saved(checkpoints: Path) -> int:
    states = [json.loads(path.read_text()) for path in checkpoints.glob("*/state.json")]
    return max((state["epochs_done"] for state in states), default=0)


def _weight_shapes(path: Path) -> list[tuple[int, ...]]:
    import keras

    import signbridge.model.network  # noqa: F401  (registers the custom layers)

    return [tuple(weight.shape) for weight in keras.saving.load_model(path, compile=False).weights]


def test_a_killed_training_run_resumes_and_its_mlflow_run_goes_on(trained_home, tmp_path):
    """SIGKILL a real `train` once an epoch >= 2 is checkpointed; the same command then goes on
    from there, and one MLflow run holds every epoch once, the evaluation and the model."""
    config = write_config("configs/train_tiny.yaml", tmp_path / "tiny_resumable.yaml",
                          training={"epochs": 5, "patience": 5}, export={"quantized": []},
                          evaluation={"other_sources": []})
    home = tmp_path / "home"
    checkpoints = home / "artifacts" / "checkpoints"
    with subprocess.Popen(cli_command("train", "--config", str(config)), cwd=PROJECT_ROOT,
                          env=isolated_env(home), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as first:
        deadline = time.monotonic() + 300
        while _epochs_saved(checkpoints) < 2:
            assert first.poll() is None, "training ended before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint of epoch 2 in time"
            time.sleep(0.2)
        first.send_signal(signal.SIGKILL)
    (state_file,) = checkpoints.glob("*/state.json")
    killed = json.loads(state_file.read_text())
    done = killed["epochs_done"]
    assert 2 <= done < 5 and not killed["complete"]

    result = run_cli("train", "--config", str(config), home=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    output = result.stdout + result.stderr
    assert f"Resuming from epoch {done} (checkpoint {state_file.parent})" in output
    assert f"epoch {done}/5:" not in output and f"epoch {done + 1}/5:" in output
    assert json.loads(state_file.read_text())["complete"]  # the next run starts afresh

    client = mlflow_client(home)
    experiment = client.get_experiment_by_name("signbridge-training")
    (run,) = client.search_runs([experiment.experiment_id])  # the killed run, gone on
    assert run.info.run_id == killed["metadata"]["mlflow_run_id"]
    assert run.info.status == "FINISHED" and run.data.tags["resumed_at_epochs"] == str(done)
    epochs = [entry.step for entry in client.get_metric_history(run.info.run_id, "epoch/val_loss")]
    assert sorted(epochs) == [1, 2, 3, 4, 5]  # one continuous curve, no epoch twice
    metrics = run.data.metrics
    assert metrics["train/epochs_run"] == 5 and "eval/top1_accuracy" in metrics
    assert metrics["tflite/parity_max_abs_diff"] <= 1e-4
    (version,) = client.search_model_versions("name = 'signbridge-asl'")
    assert version.run_id == run.info.run_id

    # Same network as an uninterrupted run of the tiny config: the same weights, shape for shape.
    (resumed_model,) = (home / "artifacts").rglob("model.keras")
    (uninterrupted_model,) = (trained_home / "artifacts").rglob("model.keras")
    assert _weight_shapes(resumed_model) == _weight_shapes(uninterrupted_model)
