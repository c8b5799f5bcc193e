"""Write landmark parquet files the way the competition and other tools do, and damaged ones."""

from pathlib import Path

import numpy as np
import pandas as pd

from signbridge.data.landmarks import FRAME_LANDMARK_INDEX, FRAME_TYPES, ROWS_PER_FRAME


def landmark_frame(frames: np.ndarray, first_frame: int = 0, frame_dtype=np.int16) -> pd.DataFrame:
    """A competition-style table (`frame, row_id, type, landmark_index, x, y, z`)."""
    n = len(frames)
    frame_numbers = np.repeat(np.arange(first_frame, first_frame + n), ROWS_PER_FRAME)
    types = np.tile(FRAME_TYPES, n)
    indices = np.tile(FRAME_LANDMARK_INDEX, n)
    flat = frames.reshape(-1, 3).astype(np.float64)
    return pd.DataFrame({
        "frame": frame_numbers.astype(frame_dtype),
        "row_id": [f"{f}-{t}-{i}" for f, t, i in zip(frame_numbers, types, indices, strict=True)],
        "type": types,
        "landmark_index": indices.astype(np.int16),
        "x": flat[:, 0], "y": flat[:, 1], "z": flat[:, 2],
    })


def write(table: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path, index=False)
    return path
