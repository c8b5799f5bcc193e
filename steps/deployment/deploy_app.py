"""(Re)start the Gradio app on the production model; leave it alone if nothing changed."""

from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from mlops import service
from mlops.model_cache import prepare_model
from mlops.registry import PRODUCTION_ALIAS, find_version
from signbridge.config import DeployConfig

logger = get_logger(__name__)


@step(enable_cache=False)
def deploy_app(
    promotion_decision: dict, deploy: DeployConfig, config_path: str
) -> Annotated[dict, "app_service"]:
    # `promotion_decision` is taken so this step runs after the promotion it must serve.
    production = find_version(deploy.model_name, PRODUCTION_ALIAS)
    current = service.status()
    if current.get("healthy") and current.get("model_version") == production.version:
        logger.info("App already serves production version %s at %s", production.version,
                    current["url"])
        return current
    model_dir = prepare_model(production)
    state = service.start(model_dir, production.version, deploy.app.host, deploy.app.port,
                          config_path)
    logger.info("App serving version %s at %s", production.version, state.url)
    return service.status()
