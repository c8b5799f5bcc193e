"""The practice app as a ZenML deployment: the inference pipeline served by the stack's deployer
(the local deployer here; Kubernetes or Hugging Face Spaces beyond one machine), with the app and
the HTTP API mounted on its server. `serve`, `stop` and `status` are thin wrappers over it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

from signbridge import workspace
from signbridge.config import AppConfig
from signbridge.errors import SignbridgeError, first_line

DEPLOYMENT_NAME = "signbridge-app"
START_TIMEOUT_S = 300
# ZenML's default Content-Security-Policy blocks Gradio's media, icons and webcam.
APP_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
           "media-src 'self' blob: data:; connect-src 'self' ws: wss: blob: data:; "
           "font-src 'self' data:; worker-src 'self' blob:; frame-src 'self'")


def deploy(model_name: str, model_version: str, model_dir: str, settings: AppConfig,
           target_settings: dict | None = None):
    """Deploy (or redeploy) the inference pipeline serving a registered model version.

    Locally the server reads the cached package in `model_dir`; with `target_settings` (a
    serving target of configs/cluster/serving.yaml, for the stack's Kubernetes or Hugging Face
    deployer) it fetches the version from the model registry where it runs.
    """
    from zenml.client import Client
    from zenml.config import AppExtensionSpec, DeploymentSettings
    from zenml.config.deployment_settings import DeploymentDefaultEndpoints, SecureHeadersConfig
    from zenml.deployers import LocalDeployerSettings
    from zenml.exceptions import ZenMLBaseException

    from pipelines.inference import inference_pipeline

    stack = Client().active_stack
    if stack.deployer is None:
        raise SignbridgeError(f"the active ZenML stack '{stack.name}' has no deployer; use the "
                              "project's stack (`run_pipeline.py deploy` sets it up)")
    service_kwargs = {"model_name": model_name, "model_version": model_version,
                      "model_dir": model_dir, "app_settings": settings.model_dump()}
    if target_settings:
        where = {"deployer": target_settings.get("deployer", {}),
                 "resources": target_settings.get("resources", {})}
    else:
        _check_port(settings, _own_port())
        where = {"deployer": LocalDeployerSettings(
            address=settings.host, port=settings.port, allocate_port_if_busy=False,
            lcm_timeout=START_TIMEOUT_S)}
    configured = inference_pipeline.with_options(on_init_kwargs=service_kwargs, settings={
        "deployment": DeploymentSettings(
            app_title="signbridge", app_extensions=[AppExtensionSpec(
                extension="app.server.install", extension_kwargs=service_kwargs)],
            # The app is mounted at "/"; ZenML's own page would shadow it.
            include_default_endpoints=(DeploymentDefaultEndpoints.ALL
                                       & ~DeploymentDefaultEndpoints.DASHBOARD),
            secure_headers=SecureHeadersConfig(
                csp=APP_CSP, permissions="camera=(self), microphone=(self)", hsts=False)),
        **where,
    })
    try:
        with _reaping_dead_children():
            return configured.deploy(deployment_name=DEPLOYMENT_NAME, timeout=START_TIMEOUT_S)
    except (ZenMLBaseException, RuntimeError) as error:
        log = (status().get("log_file")
               or f"`{workspace.zenml_command('deployment logs ' + DEPLOYMENT_NAME)}`")
        raise SignbridgeError(f"the app did not start ({first_line(error)}); see {log}") from error


def status() -> dict[str, object]:
    """The deployment as ZenML sees it now (checked, not the stored value), and what it serves."""
    from zenml.client import Client

    try:
        deployment = Client().refresh_deployment(DEPLOYMENT_NAME)
    except KeyError:
        return {"name": DEPLOYMENT_NAME, "status": "absent", "healthy": False}
    metadata = deployment.deployment_metadata or {}
    state = {"name": DEPLOYMENT_NAME, "status": str(deployment.status.value),
             "url": deployment.url or None, "pid": metadata.get("pid"),
             "log_file": metadata.get("log_file")}
    info = served(deployment.url) if deployment.url else None
    state["healthy"] = info is not None
    if info:
        state.update(model_version=info["model_version"], known_signs=info["known_signs"])
    return state


def served(url: str, timeout: float = 3.0) -> dict | None:
    """What a running app serves (`GET /api/info`), or None if it does not answer."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/info", timeout=timeout) as reply:  # noqa: S310
            return json.loads(reply.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def stop() -> bool:
    """Deprovision the deployment (its server stops); returns whether one was running."""
    from zenml.client import Client

    before = status()
    if before["status"] == "absent":
        return False
    Client().deprovision_deployment(DEPLOYMENT_NAME)
    return before["status"] in ("running", "pending")


def _own_port() -> int | None:
    from zenml.client import Client

    try:
        deployment = Client().get_deployment(DEPLOYMENT_NAME)
    except KeyError:
        return None
    return (deployment.deployment_metadata or {}).get("port")


def _check_port(settings: AppConfig, own_port: int | None) -> None:
    """Refuse before touching anything when another program holds the port."""
    if settings.port == own_port:
        return  # ours: the redeploy stops the old server first
    with socket.socket() as probe:
        # As the server itself binds: connections left closing by the last server (TIME-WAIT,
        # a minute after `stop`) do not hold the port; a program listening on it still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as error:
            raise SignbridgeError(
                f"port {settings.port} on {settings.host} is in use by another program; stop it "
                "or set app.port in configs/deploy.yaml") from error


@contextlib.contextmanager
def _reaping_dead_children() -> Iterator[None]:
    """While ZenML waits for a new server, reap it if it dies: a dead child left as a zombie
    looks alive to ZenML, which would then wait for its whole timeout instead of failing."""
    done = threading.Event()

    def reap() -> None:
        while not done.wait(0.5):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-1, os.WNOHANG)

    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    try:
        yield
    finally:
        done.set()
        reaper.join()
