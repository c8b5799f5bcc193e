"""Resuming a killed training run: its checkpoints live in the artifact store, and its MLflow run
goes on.

Checkpoints are written under `<artifact store>/checkpoints/<run identity>/` through ZenML's
`fileio`, so they land wherever the stack keeps artifacts (the local folder, S3, GCS).

ZenML's MLflow tracker gives every pipeline run a new MLflow run, found again by the pipeline
run's name at each step. A resumed training takes the killed run's MLflow run back instead: it
hands it this pipeline run's name (so the evaluation and export steps log into it too), moves
what the earlier steps just logged into it, and deletes the new, now empty run. The user then
sees one run with one continuous curve from epoch 1, tagged `resumed_at_epochs`. When the killed
run cannot be taken back (deleted, or in another experiment), the new run goes on instead: it is
given the killed run's epochs and a `resumed_from` tag.
"""

from __future__ import annotations

import os

import mlflow
from mlflow import MlflowClient
from mlflow.entities import LifecycleStage, Param, RunTag
from mlflow.exceptions import MlflowException
from zenml.io import fileio
from zenml.logger import get_logger

logger = get_logger(__name__)

CHECKPOINTS = "checkpoints"
RESUMED_AT = "resumed_at_epochs"
RESUMED_FROM = "resumed_from"


class ArtifactStoreFolder:
    """A `signbridge.model.checkpoint.CheckpointStore` on any ZenML artifact store."""

    def __init__(self, location: str) -> None:
        self.location = location

    def _path(self, name: str) -> str:
        return os.path.join(self.location, name)

    def read(self, name: str) -> bytes | None:
        if not fileio.exists(self._path(name)):
            return None
        with fileio.open(self._path(name), "rb") as handle:
            return handle.read()

    def write(self, name: str, data: bytes) -> None:
        fileio.makedirs(self.location)
        partial = self._path(f"{name}.{os.getpid()}.partial")
        with fileio.open(partial, "wb") as handle:
            handle.write(data)
        # A rename locally; on object stores a copy, whose object appears whole or not at all.
        fileio.rename(partial, self._path(name), overwrite=True)

    def remove(self, name: str) -> None:
        if fileio.exists(self._path(name)):
            fileio.remove(self._path(name))

    def names(self) -> list[str]:
        return sorted(fileio.listdir(self.location)) if fileio.isdir(self.location) else []


def checkpoint_folder(identity: str) -> ArtifactStoreFolder:
    """The checkpoint folder of a run identity in the active stack's artifact store."""
    from zenml.client import Client

    root = Client().active_stack.artifact_store.path
    return ArtifactStoreFolder(os.path.join(root, CHECKPOINTS, identity))


def continue_mlflow_run(killed_run_id: str, resumed_at: int) -> str:
    """Make the killed training's MLflow run the active run again (see the module docstring);
    returns the id of the run that goes on."""
    client = MlflowClient()
    current = mlflow.active_run()
    if current is None or current.info.run_id == killed_run_id:
        return killed_run_id
    try:
        killed = client.get_run(killed_run_id)
    except MlflowException:
        killed = None
    if (killed is None or killed.info.lifecycle_stage == LifecycleStage.DELETED
            or killed.info.experiment_id != current.info.experiment_id):
        logger.warning("MLflow run %s of the killed training cannot go on (deleted or in "
                       "another experiment); run %s continues its curve", killed_run_id,
                       current.info.run_id)
        mlflow.set_tags({RESUMED_FROM: killed_run_id, RESUMED_AT: str(resumed_at)})
        return current.info.run_id

    new_id, name = current.info.run_id, current.info.run_name
    fresh = client.get_run(new_id).data  # what this pipeline run's earlier steps logged
    _log_params(client, killed, fresh.params)
    for key, value in fresh.tags.items():
        if not key.startswith("mlflow."):
            client.set_tag(killed_run_id, key, value)
    earlier = killed.data.tags.get(RESUMED_AT)
    client.set_tag(killed_run_id, RESUMED_AT, f"{earlier},{resumed_at}" if earlier else str(resumed_at))
    # The tracker finds a pipeline run's MLflow run by name: give the name to the killed run.
    mlflow.end_run()
    client.update_run(new_id, name=f"{name}-merged")
    client.set_tag(new_id, "continued_in", killed_run_id)
    client.delete_run(new_id)
    client.update_run(killed_run_id, name=name)
    mlflow.start_run(run_id=killed_run_id)
    logger.info("MLflow run %s (of the killed training) continues as '%s'", killed_run_id, name)
    return killed_run_id


def close_killed_pipeline_run(name: str, resumed_in: str) -> None:
    """A killed pipeline run stays 'running' in ZenML: mark it and its unfinished steps stopped,
    saying which run took over."""
    from datetime import UTC, datetime

    from zenml.client import Client
    from zenml.enums import ExecutionStatus
    from zenml.models import PipelineRunUpdate, StepRunUpdate

    client = Client()
    try:
        run = client.get_pipeline_run(name)
    except KeyError:
        return
    if run.status.is_finished or run.name == resumed_in:
        return
    for step in run.steps.values():
        if not step.status.is_finished:
            client.zen_store.update_run_step(step.id, StepRunUpdate(
                status=ExecutionStatus.STOPPED, end_time=datetime.now(UTC)))
    client.zen_store.update_run(run.id, PipelineRunUpdate(
        status=ExecutionStatus.STOPPED,
        status_reason=f"Stopped while training; resumed from its checkpoint by {resumed_in}"))
    logger.info("Pipeline run %s marked stopped (resumed by %s)", name, resumed_in)


def log_params_once(params: dict[str, object]) -> None:
    """Log params into the active run, leaving those it already has; a value that changed (a
    setting that may differ on resume, such as XLA or the GPU) is kept as a `resumed.` tag."""
    client = MlflowClient()
    _log_params(client, client.get_run(mlflow.active_run().info.run_id), params)


def _log_params(client: MlflowClient, run, params: dict[str, object]) -> None:
    logged = run.data.params
    new = [Param(key, str(value)) for key, value in params.items() if key not in logged]
    changed = [RunTag(f"resumed.{key}", str(value)) for key, value in params.items()
               if key in logged and logged[key] != str(value)]
    for start in range(0, max(len(new), len(changed)), 100):  # MLflow's batch limit
        client.log_batch(run.info.run_id, params=new[start:start + 100],
                         tags=changed[start:start + 100])


def logged_epochs(metric: str) -> set[int]:
    """The epochs (steps) of `metric` the active run already holds."""
    run_id = mlflow.active_run().info.run_id
    return {entry.step for entry in MlflowClient().get_metric_history(run_id, metric)}
