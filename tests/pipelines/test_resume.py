"""Resuming in the MLflow store and the artifact store, without a pipeline: the killed run's MLflow
run takes the new run's name and contents, and checkpoints go through ZenML's fileio."""

import mlflow
import pytest
from mlflow import MlflowClient

from mlops.resume import ArtifactStoreFolder, continue_mlflow_run, log_params_once

ZENML_TAGS = {"zenml": "0.98.0"}


@pytest.fixture()
def experiment(tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    yield mlflow.create_experiment("training")
    while mlflow.active_run():
        mlflow.end_run()


def killed_run(experiment_id: str) -> str:
    with mlflow.start_run(experiment_id=experiment_id, run_name="killed", tags=ZENML_TAGS) as run:
        mlflow.log_params({"network.width": 32, "training.jit_compile": "auto"})
        for epoch in (1, 2):
            mlflow.log_metric("epoch/val_loss", 1.0 / epoch, step=epoch)
    return run.info.run_id


def test_the_killed_run_goes_on_under_the_new_runs_name(experiment):
    killed = killed_run(experiment)
    mlflow.start_run(experiment_id=experiment, run_name="resumed", tags={**ZENML_TAGS, "git": "b"})
    mlflow.log_params({"network.width": 32, "data_root": "/data"})  # an earlier step's
    assert continue_mlflow_run(killed, resumed_at=2) == killed
    assert mlflow.active_run().info.run_id == killed
    log_params_once({"network.width": 32, "training.jit_compile": True})
    mlflow.log_metric("epoch/val_loss", 0.3, step=3)
    mlflow.end_run()

    client = MlflowClient()
    (run,) = client.search_runs([experiment])  # the new, emptied run is deleted
    assert run.info.run_id == killed and run.info.run_name == "resumed"
    assert run.data.params["data_root"] == "/data" and run.data.tags["git"] == "b"
    assert run.data.tags["resumed_at_epochs"] == "2"
    # A setting that may change on resume is kept beside the original, not refused.
    assert run.data.params["training.jit_compile"] == "auto"
    assert run.data.tags["resumed.training.jit_compile"] == "True"
    steps = [m.step for m in client.get_metric_history(killed, "epoch/val_loss")]
    assert steps == [1, 2, 3]


def test_a_killed_run_in_another_experiment_is_linked_not_taken(experiment):
    killed = killed_run(mlflow.create_experiment("elsewhere"))
    with mlflow.start_run(experiment_id=experiment, run_name="resumed", tags=ZENML_TAGS) as new:
        assert continue_mlflow_run(killed, resumed_at=2) == new.info.run_id
    tags = MlflowClient().get_run(new.info.run_id).data.tags
    assert tags["resumed_from"] == killed and tags["resumed_at_epochs"] == "2"


def test_checkpoint_files_are_replaced_whole_in_the_artifact_store(tmp_path):
    folder = ArtifactStoreFolder(str(tmp_path / "checkpoints" / "abc"))
    assert folder.names() == [] and folder.read("state.json") is None
    folder.write("state.json", b"one")
    folder.write("state.json", b"two")
    assert folder.read("state.json") == b"two" and folder.names() == ["state.json"]
    folder.remove("state.json")
    assert folder.names() == []
