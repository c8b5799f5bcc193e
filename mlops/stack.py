"""Create (or reuse) the local ZenML stack: local orchestrator, local artifact store, MLflow
tracker, and the local deployer that serves the app.

Idempotent: components that already exist are reused, so running it twice changes nothing.
"""

from signbridge import workspace

STACK_NAME = "signbridge-local"
ORCHESTRATOR = "signbridge-orchestrator"
ARTIFACT_STORE = "signbridge-artifacts"
EXPERIMENT_TRACKER = "signbridge-mlflow"
DEPLOYER = "signbridge-deployer"


def ensure_local_stack() -> str:
    """Register the components and stack if missing, activate the stack, return its name.

    The MLflow tracker uses the SQLite store inside the local artifact store (see
    signbridge.workspace), or the server in `MLFLOW_TRACKING_URI` when that is http(s).
    """
    from zenml.client import Client
    from zenml.enums import StackComponentType

    workspace.artifact_store_dir().mkdir(parents=True, exist_ok=True)
    # No `zenml init`: a repository-level .zen/ would pin stack ids of one store into the clone.
    client = Client()

    def ensure(kind: StackComponentType, name: str, flavor: str, configuration: dict) -> None:
        existing = client.list_stack_components(type=kind, name=name)
        if existing.total == 0:
            client.create_stack_component(name, flavor, kind, configuration)

    ensure(StackComponentType.ORCHESTRATOR, ORCHESTRATOR, "local", {})
    ensure(
        StackComponentType.ARTIFACT_STORE,
        ARTIFACT_STORE,
        "local",
        {"path": str(workspace.artifact_store_dir())},
    )
    tracking_uri = workspace.remote_tracking_uri()
    ensure(StackComponentType.EXPERIMENT_TRACKER, EXPERIMENT_TRACKER, "mlflow", {})
    tracker = client.get_stack_component(StackComponentType.EXPERIMENT_TRACKER, EXPERIMENT_TRACKER)
    if tracker.configuration.get("tracking_uri") != tracking_uri:
        client.update_stack_component(
            EXPERIMENT_TRACKER, StackComponentType.EXPERIMENT_TRACKER,
            configuration={"tracking_uri": tracking_uri},
        )
    ensure(StackComponentType.DEPLOYER, DEPLOYER, "local", {"address": "127.0.0.1"})
    components = {
        StackComponentType.ORCHESTRATOR: ORCHESTRATOR,
        StackComponentType.ARTIFACT_STORE: ARTIFACT_STORE,
        StackComponentType.EXPERIMENT_TRACKER: EXPERIMENT_TRACKER,
        StackComponentType.DEPLOYER: DEPLOYER,
    }
    stacks = client.list_stacks(name=STACK_NAME)
    if stacks.total == 0:
        client.create_stack(STACK_NAME, components=components)
    elif StackComponentType.DEPLOYER not in client.get_stack(STACK_NAME).components:
        client.update_stack(STACK_NAME, component_updates={StackComponentType.DEPLOYER: [DEPLOYER]})
    if client.active_stack_model.name != STACK_NAME:
        client.activate_stack(STACK_NAME)
    return STACK_NAME
