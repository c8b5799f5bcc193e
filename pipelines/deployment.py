"""Deployment pipeline: promote the newest model if it beats production, then serve production
as a ZenML deployment (the inference pipeline with the practice app and the HTTP API)."""

from zenml import pipeline

from signbridge.config import DeployConfig
from steps.deployment.deploy_service import deploy_service
from steps.deployment.promote_if_better import promote_if_better


@pipeline(enable_cache=False)
def deployment_pipeline(deploy: DeployConfig) -> None:
    decision = promote_if_better()
    deploy_service(decision, deploy)
