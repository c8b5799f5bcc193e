"""Where the project keeps its local state: ZenML config, artifact store, MLflow store, services.

Everything lives under one folder, `SIGNBRIDGE_HOME` (default `<project>/.signbridge`), so a clone
is self-contained, a second clone does not share runs by accident, and deleting the folder resets
the project. The MLflow store is the SQLite file ZenML's MLflow tracker uses by default inside the
local artifact store, so `mlflow ui` and the CLI commands read the very runs the pipelines wrote.
"""

import os
from pathlib import Path

from signbridge.config import PROJECT_ROOT


def home() -> Path:
    return Path(os.environ.get("SIGNBRIDGE_HOME", PROJECT_ROOT / ".signbridge")).resolve()


def zenml_config_dir() -> Path:
    return home() / "zenml"


def artifact_store_dir() -> Path:
    return home() / "artifacts"


def service_dir() -> Path:
    return home() / "service"


def cache_dir() -> Path:
    return home() / "cache"


def mlflow_tracking_uri() -> str:
    """The MLflow store: `MLFLOW_TRACKING_URI` if set, else the local SQLite file."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{artifact_store_dir()}/mlflow.db"


def mlflow_ui_command() -> str:
    return f"uv run mlflow ui --backend-store-uri {mlflow_tracking_uri()} --host 127.0.0.1 --port 5000"


def configure_environment() -> None:
    """Quiet, offline, project-local defaults; call before importing zenml, mlflow or tensorflow."""
    defaults = {
        "ZENML_CONFIG_PATH": str(zenml_config_dir()),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_AUTO_OPEN_DASHBOARD": "false",
        "ZENML_LOGGING_VERBOSITY": "INFO",
        "ZENML_ENABLE_RICH_TRACEBACK": "false",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        "HF_HUB_OFFLINE": "1",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
