"""`run_pipeline.py crossval` end to end, on the tiny config: a model per fold, the per-fold and
threshold tables printed, and the run with its figures in MLflow."""

import mlflow
from PIL import Image

from signbridge import workspace
from tests.conftest import SAMPLE_ROOT, isolated_env, run_cli, write_config


def test_crossval_trains_a_model_per_fold_and_reports_every_threshold(tmp_path, monkeypatch):
    config = write_config("configs/train_tiny.yaml", tmp_path / "tiny_one_member.yaml",
                          network={"members": 1})  # the ensemble is tested by the pipeline tests
    result = run_cli("crossval", "--config", str(config), "--data", str(SAMPLE_ROOT),
                     "--folds", "2", home=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    folds = [line for line in lines if line.startswith("fold ")]
    assert len(folds) == 2 and all("other signs not sure" in line for line in folds)
    assert any(line.startswith("| **worst** |") for line in lines)
    thresholds = [line for line in lines if line.startswith("| 0.")]
    assert [line.split(" | ")[0] for line in thresholds] == [
        f"| {t / 100:.2f}" for t in range(50, 100, 5)]

    for name, value in isolated_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    client = mlflow.MlflowClient(workspace.mlflow_tracking_uri())
    run, = client.search_runs([client.get_experiment_by_name("signbridge-crossval").experiment_id])
    assert run.data.params["folds"] == "2"
    assert 0 <= run.data.metrics["crossval/top1_accuracy_mean"] <= 1
    assert "crossval/asl-app-100/unknown_not_sure_worst" in run.data.metrics
    figure = Image.open(client.download_artifacts(run.info.run_id, "crossval/thresholds.png",
                                                  str(tmp_path)))
    assert figure.width > 400 and figure.height > 300
