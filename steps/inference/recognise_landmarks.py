"""Recognise one sign from landmark frames with the model the server loaded at start-up."""

from typing import Annotated

from zenml import get_step_context, step

from signbridge.serving.recognition import check_frames


@step(enable_cache=False)
def recognise_landmarks(frames: list) -> Annotated[dict, "answer"]:
    service = get_step_context().pipeline_state  # app.state.Service, loaded once per server
    answer = service.landmarks(check_frames(frames))
    return {**answer.as_dict(), "model_version": service.model_version}
