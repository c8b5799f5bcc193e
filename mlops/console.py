"""ZenML's and MLflow's known noise, dropped message by message; every other line of the same
loggers still prints (a blanket log level would hide the useful step lines and keep the noise)."""

from __future__ import annotations

import logging
import re
import warnings

# logger -> the exact messages dropped from it, each with why it is noise here.
KNOWN_NOISE: dict[str, tuple[str, ...]] = {
    # ZenML's MLflow tracker disables autologging after every step, including for fastai, which
    # MLflow 3 no longer ships: the attempt always fails.
    "zenml.integrations.mlflow.experiment_trackers.mlflow_experiment_tracker": (
        r"^Failed to disable MLflow autologging for the following frameworks: \['fastai'\]\.$",),
    # ZenML records `pip freeze` with each run; a uv venv has no pip, and the run is unaffected.
    "zenml.environment": (r"^Failed to get list of installed Python packages$",),
    # Adverts for ZenML Pro and for a dashboard server this project starts differently.
    "zenml.orchestrators.step_run_utils": (r"^Models can be viewed in the dashboard using ZenML Pro",),
    "zenml.pipelines.pipeline_definition": (
        r"You can visualize your pipeline runs in the",
        r"^Using user: ", r"^  [a-z_]+: ",  # the stack's components, one per line
    ),
    # MLflow resolves pip's version for each logged model's conda.yaml; a uv venv has no pip.
    "mlflow.utils.environment": (r"^Failed to resolve installed pip version",),
}


class _DropMessages(logging.Filter):
    def __init__(self, patterns: tuple[str, ...]) -> None:
        super().__init__()
        self.noise = re.compile("|".join(f"(?:{p})" for p in patterns))

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.noise.search(record.getMessage())


def quiet_known_noise() -> None:
    """Attach the filters (call after importing zenml; calling twice adds nothing)."""
    for name, patterns in KNOWN_NOISE.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessages) for f in logger.filters):
            logger.addFilter(_DropMessages(patterns))
    # Logged by MLflow when a model is logged without an input example; the model's signature
    # (the competition contract) is given explicitly instead.
    warnings.filterwarnings("ignore", message=r".*An input example was not provided",
                            category=UserWarning)
