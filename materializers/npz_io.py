"""Reading and writing named numpy arrays as `.npz` in an artifact store (never pickled)."""

import io
import os

import numpy as np
from zenml.io import fileio


def save_arrays(uri: str, arrays: dict[str, np.ndarray], filename: str = "arrays.npz") -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with fileio.open(os.path.join(uri, filename), "wb") as file:
        file.write(buffer.getvalue())


def load_arrays(uri: str, filename: str = "arrays.npz") -> dict[str, np.ndarray]:
    with fileio.open(os.path.join(uri, filename), "rb") as file:
        data = np.load(io.BytesIO(file.read()), allow_pickle=False)
        return {name: data[name] for name in data.files}
