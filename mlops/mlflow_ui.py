"""`make mlflow-ui`: the MLflow UI on the project's store, answering in seconds on 2 cores.

One worker and no GenAI job runners (MLflow's defaults start 4 workers and 8 job processes,
about 90 s here). The store is created under `.signbridge/` first, never as `mlruns/`.
"""

import os
import sys

from signbridge import workspace


def main() -> None:
    workspace.configure_environment()
    workspace.ensure_mlflow_experiment("signbridge-training")
    print(f"MLflow UI (model-training view): {workspace.mlflow_ui_url()}", flush=True)
    os.environ["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    os.execv(sys.executable, [
        sys.executable, "-m", "mlflow", "ui", "--backend-store-uri",
        workspace.mlflow_tracking_uri(), "--host", "127.0.0.1",
        "--port", str(workspace.MLFLOW_UI_PORT), "--workers", "1"])


if __name__ == "__main__":
    main()
