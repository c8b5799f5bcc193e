"""Metadata the open-source ZenML dashboard shows: on the run page (Metadata tab) and in the
step's panel. (Model-version metadata is kept too, but only ZenML Pro displays it.)"""

import mlflow
from zenml import get_step_context, log_metadata
from zenml.metadata.metadata_types import Uri

from signbridge import workspace


def log_run_metadata(values: dict) -> None:
    """`values` on this step and on its pipeline run."""
    log_metadata(metadata=values)
    log_metadata(metadata=values, run_id_name_or_prefix=get_step_context().pipeline_run.id)


def mlflow_run_link() -> dict:
    """A clickable link to the step's MLflow run, if the step has one."""
    run = mlflow.active_run()
    if run is None:
        return {}
    return {"mlflow_run": Uri(workspace.mlflow_ui_url(run.info.experiment_id, run.info.run_id))}
