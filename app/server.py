"""The ZenML deployment's app extension: the practice app and the HTTP API on the server that
ZenML's deployer runs for the inference pipeline (next to its /health, /invoke and /docs).

ZenML calls `install(app_runner=..., **extension_kwargs)` while it builds the FastAPI app, in the
server process, before the pipeline's init hook; both load the same `state.Service` once.
"""

from __future__ import annotations

import logging

from app import api, state
from app.ui import CSS, build_app
from signbridge import workspace
from signbridge.console import filter_native_noise

logger = logging.getLogger("signbridge.app")


def install(app_runner, **service_kwargs) -> None:
    import gradio as gr

    workspace.quiet_third_party_logs()
    filter_native_noise()  # MediaPipe's chatter stays out of the server's log
    service = state.start(**service_kwargs)
    app = app_runner.asgi_app
    max_bytes = int(service.settings.max_upload_mb * 1_000_000)
    app.include_router(api.router())
    app.add_middleware(api.MaxBodySize, max_bytes=max_bytes, prefixes=("/api/", "/invoke"))
    blocks = build_app(service)
    blocks.queue(default_concurrency_limit=service.settings.concurrency_limit,
                 max_size=service.settings.queue_size)
    gr.mount_gradio_app(app, blocks, path="/", server_name=service.settings.host,
                        max_file_size=max_bytes, show_error=False, css=CSS,
                        allowed_paths=[str(workspace.cache_dir() / "clips"),
                                       str(service.output_dir)])

