"""(Re)start the practice app on the production model; leave it alone if nothing changed."""

from typing import Annotated

from zenml import get_step_context, step
from zenml.logger import get_logger

from mlops import registry, service
from signbridge.config import DeployConfig

logger = get_logger(__name__)


@step(enable_cache=False)
def deploy_app(
    promotion_decision: dict, deploy: DeployConfig, config_path: str
) -> Annotated[dict, "app_service"]:
    # `promotion_decision` is taken so this step runs after the promotion it must serve.
    name = get_step_context().model.name
    production = registry.find(name, registry.mlflow_version(registry.production(name)))
    current = service.status()
    if current.get("healthy") and current.get("model_version") == production.version:
        logger.info("App already serves production version %s at %s", production.version,
                    current["url"])
        return current
    registry.load_package(production)
    state = service.start(registry.package_dir(production), production.version,
                          deploy.app.host, deploy.app.port, config_path)
    logger.info("App serving version %s at %s", production.version, state.url)
    return service.status()
