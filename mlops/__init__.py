"""ZenML and MLflow glue: the local stack, the model registry, the deployed service."""
