"""Deployment pipeline: promote the newest model if it beats production, then serve production."""

from zenml import pipeline

from signbridge.config import DeployConfig
from steps.deployment.deploy_app import deploy_app
from steps.deployment.promote_if_better import promote_if_better


@pipeline(enable_cache=False)
def deployment_pipeline(deploy: DeployConfig, config_path: str) -> None:
    decision = promote_if_better()
    deploy_app(decision, deploy, config_path)
