"""Compare the newest model version with production on the same held-out data; promote if better."""

from typing import Annotated

from zenml import get_step_context, log_metadata, step
from zenml.logger import get_logger

from mlops import registry
from signbridge import workspace
from signbridge.model.promotion import decide, exclusive
from signbridge.serving.classifier import SignClassifier
from steps.metadata import log_run_metadata

logger = get_logger(__name__)


@step(enable_cache=False)
def promote_if_better() -> Annotated[dict, "promotion_decision"]:
    model_name = get_step_context().model.name
    # The lock spans read-decide-write, so concurrent deployments cannot interleave.
    with exclusive(workspace.home() / "deploy.lock"):
        candidate = registry.candidate(model_name)
        production = registry.production(model_name)
        decision = decide(
            SignClassifier(registry.package_of(candidate).model), candidate.number,
            SignClassifier(registry.package_of(production).model) if production else None,
            production.number if production else None,
            candidate.get_artifact("evaluation_set").load(),
        )
        logger.info("Promotion decision: %s", decision.reason)
        if decision.promote:
            registry.promote(candidate, "promoted", decision.reason)
        else:
            registry.record_decision(model_name, registry.mlflow_version(candidate),
                                     "not promoted", decision.reason)
    record = decision.as_dict()
    readable = {key: str(value) for key, value in record.items()}
    log_metadata(metadata={"promotion_decision": readable}, model_name=model_name,
                 model_version=str(candidate.number))
    log_run_metadata({"promotion_decision": readable})
    return record
