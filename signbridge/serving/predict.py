"""`predict`: one JSON line per file (landmark parquet or video) with the top-10 among the signs
the model knows, whether the answer is accepted, and why not when it is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from signbridge.errors import SignbridgeError
from signbridge.serving.recognition import Recogniser


def predict_files(recogniser: Recogniser, paths: list[str]) -> Iterator[dict]:
    """A result per file; a file that cannot be read gets `error` instead, and the rest go on."""
    for path in paths:
        try:
            yield {"file": path, **recogniser.file(Path(path)).as_dict()}
        except SignbridgeError as error:
            yield {"file": path, "error": str(error)}
