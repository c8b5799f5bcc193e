"""Inference pipeline, served by the stack's deployer: landmark frames -> the recogniser's answer.

Its server loads the production model package, MediaPipe and the practice app once (init hook);
`POST /invoke {"parameters": {"frames": ...}}` runs it and records a run. Videos go through the
app's own `POST /api/recognise` on the same server (see app/api.py).
"""

from zenml import pipeline

from steps.inference.recognise_landmarks import recognise_landmarks


@pipeline(enable_cache=False, on_init="app.state.start", on_cleanup="app.state.stop")
def inference_pipeline(frames: list | None = None) -> dict:
    return recognise_landmarks(frames or [])
