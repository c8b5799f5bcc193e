"""Serve the production model: (re)deploy the inference pipeline with the stack's deployer when
production changed or the app is down; leave a running app alone otherwise."""

from typing import Annotated

from zenml import get_step_context, step
from zenml.logger import get_logger

from mlops import registry, service
from signbridge.config import DeployConfig

logger = get_logger(__name__)


@step(enable_cache=False)
def deploy_service(promotion_decision: dict, deploy: DeployConfig) -> Annotated[dict, "service"]:
    # `promotion_decision` is taken so this step runs after the promotion it must serve.
    name = get_step_context().model.name
    production = registry.find(name, registry.mlflow_version(registry.production(name)))
    current = service.status()
    if current.get("healthy") and current.get("model_version") == production.version:
        logger.info("The app already serves %s at %s", production.label, current["url"])
        return current
    registry.load_package(production)
    logger.info("Deploying %s with the stack's deployer ...", production.label)
    service.deploy(name, production.version, str(registry.package_dir(production)), deploy.app)
    state = service.status()
    logger.info("The app serves %s at %s", production.label, state.get("url"))
    return state
