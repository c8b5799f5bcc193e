"""Where the project keeps its local state: ZenML config, artifact store, MLflow store, services.

Everything lives under one folder, `SIGNBRIDGE_HOME` (default `<project>/.signbridge`), so a clone
is self-contained, a second clone does not share runs by accident, and deleting the folder resets
the project. The MLflow store is the SQLite file ZenML's MLflow tracker uses by default inside the
local artifact store, so `mlflow ui` and the CLI commands read the very runs the pipelines wrote.
"""

import os
import shlex
import shutil
from pathlib import Path

from signbridge.config import PROJECT_ROOT


def home() -> Path:
    return Path(os.environ.get("SIGNBRIDGE_HOME", PROJECT_ROOT / ".signbridge")).resolve()


def zenml_config_dir() -> Path:
    return home() / "zenml"


def artifact_store_dir() -> Path:
    return home() / "artifacts"


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


MLFLOW_UI_PORT = 5000


def mlflow_artifact_root() -> str:
    return f"file:{artifact_store_dir()}/mlflow_artifacts"


def uv_run(command: str) -> str:
    """`command` run in the project's environment, as a line to paste into a new shell in the
    project folder: `uv run ...`, with uv's full path where `make` installed it off the PATH."""
    installed = Path.home() / ".local" / "bin" / "uv"
    uv = "uv" if shutil.which("uv") or not installed.exists() else shlex.quote(str(installed))
    return f"{uv} run {command}"


def zenml_command(command: str) -> str:
    """A `zenml ...` CLI line that reads this project's ZenML store, not the user's default one."""
    return f"ZENML_CONFIG_PATH={shlex.quote(str(zenml_config_dir()))} {uv_run('zenml ' + command)}"


def mlflow_ui_command() -> str:
    """One worker and no GenAI job runners: the UI answers in seconds on 2 cores, not minutes."""
    return (f"MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false "
            f"{uv_run('mlflow ui')} --backend-store-uri {mlflow_tracking_uri()} "
            f"--host 127.0.0.1 --port {MLFLOW_UI_PORT} --workers 1")


def mlflow_ui_url(experiment_id: str | None = None, run_id: str | None = None) -> str:
    """A link that opens in MLflow's model-training view (not the GenAI view)."""
    base = f"http://127.0.0.1:{MLFLOW_UI_PORT}/#/experiments"
    if experiment_id:
        base += f"/{experiment_id}" + (f"/runs/{run_id}" if run_id else "")
    return base + "?workflowType=machine_learning"


def ensure_mlflow_experiment(name: str, description: str = "") -> str:
    """The experiment's id, creating the local store and the experiment if needed, so that every
    artifact lands under this folder (MLflow's defaults write `mlruns/` wherever it runs) and
    the experiment is marked as model training."""
    import mlflow

    uri = mlflow_tracking_uri()
    if uri.startswith("sqlite:") and not (artifact_store_dir() / "mlflow.db").exists():
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        artifact_store_dir().mkdir(parents=True, exist_ok=True)
        SqlAlchemyStore(uri, mlflow_artifact_root())  # creates the tables and Default here
    client = mlflow.MlflowClient(uri)
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    tags = {"mlflow.experimentKind": "custom_model_development"}
    if description:
        tags["mlflow.note.content"] = description
    location = f"{mlflow_artifact_root()}/{name}" if uri.startswith("sqlite:") else None
    return client.create_experiment(name, artifact_location=location, tags=tags)


def configure_environment() -> None:
    """Quiet, offline, project-local defaults; call before importing zenml, mlflow or tensorflow."""
    defaults = {
        "ZENML_CONFIG_PATH": str(zenml_config_dir()),
        "ZENML_ANALYTICS_OPT_IN": "false",
        "ZENML_AUTO_OPEN_DASHBOARD": "false",
        "ZENML_LOGGING_VERBOSITY": "INFO",
        "ZENML_ENABLE_RICH_TRACEBACK": "false",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
        # MLflow would copy uv.lock and pyproject.toml into every logged model, and say so.
        "MLFLOW_UV_AUTO_DETECT": "false",
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
