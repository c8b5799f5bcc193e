"""The model registry, in one place: register a model package, answer "candidate" and
"production", and promote (the ZenML model stage and the MLflow alias move together).

ZenML's Model Control Plane holds the model versions the pipelines produce; each is mirrored by
an MLflow registered-model version (a pyfunc holding the package) that the CLI and the app read
without importing ZenML. The model's name is the `model.name` of the pipeline configs.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from signbridge import workspace
from signbridge.errors import SignbridgeError
from signbridge.serving.package import LABELS_FILE, ModelPackage

PRODUCTION = "production"
PYFUNC_SOURCE = Path(__file__).resolve().parents[1] / "signbridge" / "serving" / "mlflow_pyfunc.py"
PYFUNC_REQUIREMENTS = ["numpy==1.26.4", "ai-edge-litert==2.3.0"]
MLFLOW_VERSION_KEY = "mlflow_registry_version"  # ZenML model-version metadata -> MLflow version


def _client():
    import mlflow

    mlflow.set_tracking_uri(workspace.mlflow_tracking_uri())
    return mlflow.MlflowClient(workspace.mlflow_tracking_uri())


def _signature():
    """The competition contract as an MLflow signature: float32 [n, 543, 3] -> float32 [250].
    The input is left unnamed: a named one makes pyfunc hand `predict` a dict."""
    import numpy as np
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    return ModelSignature(inputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 543, 3))]),
                          outputs=Schema([TensorSpec(np.dtype(np.float32), (250,))]))


def register(package: ModelPackage, name: str, tags: dict[str, str] | None = None) -> str:
    """Log the package in the active MLflow run as a pyfunc and register it under `name`;
    the model card becomes the version's description. Returns the MLflow version number."""
    import mlflow

    with tempfile.TemporaryDirectory() as folder, _without_registry_prints():
        directory = package.write(Path(folder) / "package")
        info = mlflow.pyfunc.log_model(
            name="sign_model",
            python_model=str(PYFUNC_SOURCE),
            artifacts={"package": str(directory)},
            pip_requirements=PYFUNC_REQUIREMENTS,
            signature=_signature(),
            registered_model_name=name,
        )
    version = str(info.registered_model_version)
    client = _client()
    if package.model_card:
        client.update_model_version(name, version, description=package.model_card)
    for key, value in (tags or {}).items():
        client.set_model_version_tag(name, version, key, str(value))
    return version


@contextlib.contextmanager
def _without_registry_prints() -> Iterator[None]:
    """MLflow prints "Successfully registered model" and "Created version" to stderr (not a
    logger); the project says it in one line of its own. Anything else still shows."""
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        yield
    for line in captured.getvalue().splitlines(keepends=True):
        if not line.startswith(("Successfully registered model", "Created version")):
            sys.stderr.write(line)


@dataclass
class RegisteredVersion:
    name: str
    version: str
    aliases: list[str]
    tags: dict[str, str]
    run_id: str | None

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}" + (" (production)" if PRODUCTION in self.aliases
                                                 else "")


def find(name: str, version: str | None = None) -> RegisteredVersion:
    """Version `version` of `name`; without one, production if set, else the newest."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        if version is not None:
            found = client.get_model_version(name, str(version))
        else:
            try:
                found = client.get_model_version_by_alias(name, PRODUCTION)
            except MlflowException:
                versions = client.search_model_versions(f"name = '{name}'")
                if not versions:
                    raise SignbridgeError(
                        f"no model '{name}' in {workspace.mlflow_tracking_uri()}; "
                        f"{_train_first()}") from None
                found = max(versions, key=lambda v: int(v.version))
    except MlflowException as error:
        raise SignbridgeError(f"model '{name}' version {version or PRODUCTION} not found in "
                              f"{workspace.mlflow_tracking_uri()} ({error.message})") from error
    return RegisteredVersion(name, str(found.version), list(found.aliases or []),
                             dict(found.tags), found.run_id)


def package_dir(version: RegisteredVersion) -> Path:
    """Where a registry version's package is cached locally."""
    return workspace.cache_dir() / "models" / f"{version.name}-v{version.version}"


def load_package(version: RegisteredVersion) -> ModelPackage:
    """The model package of a registry version, from the local cache (downloaded once)."""
    folder = package_dir(version)
    if not (folder / LABELS_FILE).is_file():
        import mlflow

        _client()
        downloaded = Path(mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{version.name}/{version.version}"))
        found = [p.parent for p in downloaded.rglob(LABELS_FILE)]
        if not found:
            raise SignbridgeError(f"registry version {version.label} holds no model package")
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(found[0], partial)
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return ModelPackage.read(folder)


def candidate(name: str):
    """The newest ZenML model version whose run got as far as a model package (runs that died
    earlier are skipped)."""
    from zenml.client import Client

    versions = Client().list_model_versions(name, sort_by="desc:number", size=50, hydrate=True)
    for version in versions.items:
        if MLFLOW_VERSION_KEY in version.run_metadata:
            return version
    raise SignbridgeError(f"no version of model '{name}' has a model package yet; {_train_first()}")


def production(name: str):
    """The ZenML model version in the production stage, or None."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    try:
        return Client().get_model_version(name, ModelStages.PRODUCTION)
    except KeyError:
        return None


def package_of(model_version) -> ModelPackage:
    """The model package a ZenML model version's run registered."""
    return load_package(find(model_version.model.name, mlflow_version(model_version)))


def mlflow_version(model_version) -> str:
    return str(model_version.run_metadata[MLFLOW_VERSION_KEY])


def promote(model_version, decision: str, reason: str) -> None:
    """Make `model_version` production: ZenML stage, MLflow alias, and the decision recorded on
    the MLflow version (tags and a paragraph of its description)."""
    from zenml.enums import ModelStages

    model_version.set_stage(ModelStages.PRODUCTION, force=True)
    name, version = model_version.model.name, mlflow_version(model_version)
    _client().set_registered_model_alias(name, PRODUCTION, version)
    record_decision(name, version, decision, reason)


def record_decision(name: str, version: str, decision: str, reason: str) -> None:
    """The promotion decision and its reason, on the MLflow model version itself."""
    client = _client()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for key, value in (("promotion.decision", decision), ("promotion.reason", reason),
                       ("promotion.decided_at", when)):
        client.set_model_version_tag(name, version, key, value)
    current = client.get_model_version(name, version).description or ""
    previous = current.split("\n## Promotion decision\n")[0].rstrip()
    client.update_model_version(name, version, description=(
        f"{previous}\n\n## Promotion decision\n\n**{decision}** ({when}): {reason}\n"))


def _train_first() -> str:
    return f"train one first: `make run`, or `{workspace.uv_run('python run_pipeline.py train')}`"
