"""The experiment tracker of the active stack, for `@step(experiment_tracker=...)`."""

from zenml.client import Client


def experiment_tracker_name() -> str | None:
    tracker = Client().active_stack.experiment_tracker
    return tracker.name if tracker else None


EXPERIMENT_TRACKER = experiment_tracker_name()
