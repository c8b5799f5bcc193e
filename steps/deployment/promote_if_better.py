"""Compare the newest model version with production on the same held-out data; promote if better."""

import tempfile
from pathlib import Path
from typing import Annotated

import mlflow
from zenml import log_metadata, step
from zenml.client import Client
from zenml.enums import ModelStages
from zenml.logger import get_logger

from mlops.registry import PRODUCTION_ALIAS, set_alias
from signbridge import workspace
from signbridge.model.promotion import decide, exclusive
from signbridge.serving.classifier import SignClassifier
from steps.tracking import EXPERIMENT_TRACKER

logger = get_logger(__name__)


def _newest_complete_version(model_name: str):
    """The newest version whose run got as far as the TFLite export (killed runs are skipped)."""
    versions = Client().list_model_versions(model_name, sort_by="desc:number", size=50, hydrate=True)
    for version in versions.items:
        if "tflite_model" in version.model_artifact_ids:
            return version
        logger.warning("Skipping model version %s: its run produced no TFLite model",
                       version.number)
    raise RuntimeError(f"no model version of '{model_name}' has a TFLite model; train first")


def _production_version(model_name: str):
    try:
        return Client().get_model_version(model_name, ModelStages.PRODUCTION)
    except KeyError:
        return None


@step(experiment_tracker=EXPERIMENT_TRACKER, enable_cache=False)
def promote_if_better(model_name: str) -> Annotated[dict, "promotion_decision"]:
    # The lock spans read-decide-write, so concurrent deployments cannot interleave.
    with exclusive(workspace.home() / "deploy.lock"), tempfile.TemporaryDirectory() as workdir:
        candidate = _newest_complete_version(model_name)
        production = _production_version(model_name)
        packages = {"candidate": candidate.get_artifact("tflite_model").load()}
        if production:
            packages["production"] = production.get_artifact("tflite_model").load()
        classifiers = {
            role: SignClassifier(package.write(Path(workdir) / role), package.labels)
            for role, package in packages.items()
        }
        decision = decide(
            classifiers["candidate"], candidate.number,
            classifiers.get("production"), production.number if production else None,
            candidate.get_artifact("evaluation_set").load(),
        )
        logger.info("Promotion decision: %s", decision.reason)
        if decision.promote:
            candidate.set_stage(ModelStages.PRODUCTION, force=True)
            set_alias(model_name, packages["candidate"].metadata["mlflow_registry_version"],
                      PRODUCTION_ALIAS)
    record = decision.as_dict()
    mlflow.log_params({f"decision.{key}": value for key, value in record.items()})
    log_metadata(
        metadata={"promotion_decision": {key: str(value) for key, value in record.items()}},
        model_name=model_name, model_version=str(candidate.number),
    )
    return record
