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


def remote_tracking_uri() -> str | None:
    """`MLFLOW_TRACKING_URI` when it names a tracking server (http/https), else None."""
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    return uri if uri.startswith(("http://", "https://")) else None


def check_tracking_server(timeout: float = 5.0) -> None:
    """Fail fast, before any work, when a remote MLflow server does not answer."""
    import urllib.error
    import urllib.request

    from signbridge.errors import SignbridgeError

    uri = remote_tracking_uri()
    if uri is None:
        return
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout):  # noqa: S310
            return
    except (urllib.error.URLError, OSError) as error:
        raise SignbridgeError(
            f"MLflow tracking server {uri} (MLFLOW_TRACKING_URI) is unreachable ({error}); "
            "start it, or unset MLFLOW_TRACKING_URI to use the local store"
        ) from error


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
        # The deployment's server imports pipelines/ and app/ from the project, wherever it runs.
        "ZENML_CUSTOM_SOURCE_ROOT": str(PROJECT_ROOT),
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def quiet_third_party_logs() -> None:
    """Keep the project's own log lines and warnings; drop other libraries' chatter."""
    import logging

    for name in ("httpx", "gradio", "uvicorn.access", "mlflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
