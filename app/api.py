"""The HTTP API next to the Gradio page: recognise an uploaded video or landmark frames.

    GET  /api/info        the served model: version, known signs, frames, upload limits
    POST /api/recognise   multipart form field `video` -> the answer
    POST /api/landmarks   JSON {"frames": [[[x, y, z] x 543] x n]} (null = not detected)

Answers are those of `predict`: `top10` among the known signs, `accepted`, and `reason` when the
answer is "not sure". Bad input gets HTTP 4xx with `detail` saying what is wrong.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from pydantic import BaseModel, Field

from app import state
from signbridge.errors import SignbridgeError
from signbridge.serving.recognition import check_frames


class LandmarkFrames(BaseModel):
    frames: list = Field(description="[frames][543][3] x, y, z; null where not detected")


class Prediction(BaseModel):
    """What the recogniser answers (the same fields as `run_pipeline.py predict`)."""

    top10: list[dict] = Field(description="known signs, best first: {sign, probability}")
    accepted: bool = Field(description="false: the model is not sure; see reason")
    reason: str | None = None
    frames: int
    frames_with_hands: int
    model_version: str


def _service() -> state.Service:
    try:
        return state.current()
    except SignbridgeError as error:
        raise HTTPException(status_code=503, detail=str(error)) from error


def router() -> APIRouter:
    api = APIRouter(prefix="/api", tags=["signbridge"])

    @api.get("/info")
    def info() -> dict:
        return _service().info()

    @api.post("/recognise", response_model=Prediction)
    def recognise(video: Annotated[UploadFile, File(description="a video file")]) -> dict:
        service = _service()
        name = Path(video.filename or "upload").name
        with tempfile.NamedTemporaryFile(suffix=Path(name).suffix, dir=service.output_dir) as copy:
            copy.write(video.file.read())
            copy.flush()
            try:
                answer = service.video(copy.name, name).answer
            except SignbridgeError as error:  # name the user's file, not our temporary copy
                raise HTTPException(status_code=422,
                                    detail=str(error).replace(copy.name, name)) from error
        return {**answer.as_dict(), "model_version": service.model_version}

    @api.post("/landmarks", response_model=Prediction)
    def landmarks(body: LandmarkFrames) -> dict:
        service = _service()
        try:
            answer = service.landmarks(check_frames(body.frames))
        except SignbridgeError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return {**answer.as_dict(), "model_version": service.model_version}

    return api


class MaxBodySize:
    """Refuse request bodies over `max_bytes` (HTTP 413) on some path prefixes, from the declared
    length without reading the body, and by counting bytes when no length is declared."""

    def __init__(self, app, max_bytes: int, prefixes: tuple[str, ...]) -> None:
        self.app, self.max_bytes, self.prefixes = app, max_bytes, prefixes

    async def _refuse(self, send) -> None:
        body = json.dumps({"detail": f"upload larger than the {self.max_bytes / 1e6:g} MB "
                                     "limit (app.max_upload_mb)"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and int(declared) > self.max_bytes:
            return await self._refuse(send)
        received, refused, answered = 0, False, False

        async def counting_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes and not answered:
                    refused = True
                    await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal answered
            if not refused:
                answered = answered or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
