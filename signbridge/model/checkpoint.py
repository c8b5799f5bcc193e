"""Resumable training: a checkpoint after every epoch, so a killed run goes on where it stopped.

A checkpoint holds all that the next epoch depends on: the model's weights with the optimizer's
variables (whose step count drives the learning-rate schedule), the dropout seed states, early
stopping's state and best weights, the history so far, and the caller's metadata (the MLflow run).
Its folder is named by the run's identity, a hash of every setting that changes the training and
of the data, so only a re-run of the same config on the same data resumes it. The epoch's files
are written first and `state.json` last, each atomically, so a kill at any moment leaves the
previous checkpoint whole. A finished run's checkpoint is marked complete (and its weights
dropped): the next run of that config trains from scratch.

Exact after a resume: weights, optimizer moments and step (so the learning rate), dropout seeds,
early stopping, history, and each epoch's shard order and shuffle (drawn from seed and epoch);
without augmentation a resumed run ended bit for bit where an uninterrupted one did. With it, not
quite: the parallel tf.data map hands augmentation draws to sequences in a racy order, which
already makes two uninterrupted runs differ a little.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import keras
import numpy as np

from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.shards import ShardSet
from signbridge.errors import SignbridgeError
from signbridge.model.features import FeatureShards

CHECKPOINT_FORMAT = 1
STATE_FILE = "state.json"
# Settings that do not change what is computed, so a run may resume with them changed.
NOT_IDENTITY = {"jit_compile", "resume"}


class CheckpointStore(Protocol):
    """A folder of files, local or remote (the steps use the ZenML artifact store's)."""

    location: str

    def read(self, name: str) -> bytes | None: ...

    def write(self, name: str, data: bytes) -> None:
        """Replace `name` atomically: a reader sees the old content or the new, never a part."""

    def remove(self, name: str) -> None: ...

    def names(self) -> list[str]: ...


class LocalFolder:
    """A CheckpointStore on the local disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)

    def read(self, name: str) -> bytes | None:
        target = self.path / name
        return target.read_bytes() if target.is_file() else None

    def write(self, name: str, data: bytes) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        partial = self.path / f"{name}.{os.getpid()}.partial"
        partial.write_bytes(data)
        os.replace(partial, self.path / name)

    def remove(self, name: str) -> None:
        (self.path / name).unlink(missing_ok=True)

    def names(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir()) if self.path.is_dir() else []


def run_identity(
    train: ShardSet,
    validation: FeatureShards,
    preprocess: PreprocessConfig,
    network: ModelConfig,
    training: TrainConfig,
) -> str:
    """A short hash of what a training run computes: its settings and its data (shard names hash
    the rows they hold; the train split is also named by its signers)."""
    described = {
        "format": CHECKPOINT_FORMAT,
        "train": [train.shards, train.participants],
        "validation": validation.shards,
        "preprocess": preprocess.model_dump(),
        "network": network.model_dump(),
        "training": training.model_dump(exclude=NOT_IDENTITY),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class TrainingState:
    """`state.json`: where a run stands after its last finished epoch."""

    identity: str
    epochs_done: int  # also the index of the next epoch (Keras counts from 0)
    history: dict[str, list[float]]
    early_stopping: dict[str, float]  # best, best_epoch, wait, stopped_epoch
    stopped: bool  # early stopping ended the run after `epochs_done`
    complete: bool = False
    weights_file: str = ""  # model + optimizer (Keras .weights.h5)
    extras_file: str = ""  # best weights and seed states (.npz)
    metadata: dict[str, str] = field(default_factory=dict)
    writer: dict[str, str | int] = field(default_factory=dict)  # host and pid that wrote it
    written: float = 0.0


class Checkpoints:
    """The checkpoints of one run identity in a store."""

    def __init__(self, store: CheckpointStore, identity: str) -> None:
        self.store, self.identity = store, identity
        self.metadata: dict[str, str] = {}  # written into every state (e.g. the MLflow run id)

    def state(self) -> TrainingState | None:
        raw = self.store.read(STATE_FILE)
        if raw is None:
            return None
        try:
            state = TrainingState(**json.loads(raw))
        except (TypeError, ValueError):  # another format: not ours to resume
            return None
        return state if state.identity == self.identity else None

    def unfinished(self) -> TrainingState | None:
        """The last checkpoint of a run that did not finish, if any; refuses one whose writer is
        still alive on this machine (two runs of one config would overwrite each other)."""
        state = self.state()
        if state is None or state.complete:
            return None
        pid = int(state.writer.get("pid", 0))
        if (state.writer.get("host") == socket.gethostname() and pid != os.getpid()
                and _alive(pid)):
            raise SignbridgeError(
                f"{self.store.location}: another training run of this config is in progress "
                f"(pid {pid}); wait for it or stop it")
        return state

    def clear(self) -> None:
        """Forget every earlier checkpoint of this identity (a fresh start)."""
        for name in self.store.names():
            self.store.remove(name)

    def save(self, model: keras.Model, state: TrainingState, best_weights: list | None) -> None:
        """Write the epoch's weights and extras, then the state that points at them, then drop
        the previous epoch's files."""
        previous = self.state()
        stem = f"epoch-{state.epochs_done:04d}"
        state.weights_file, state.extras_file = f"{stem}.weights.h5", f"{stem}.extras.npz"
        with tempfile.TemporaryDirectory() as local:
            path = Path(local) / state.weights_file
            model.save_weights(path)
            self.store.write(state.weights_file, path.read_bytes())
        self.store.write(state.extras_file, _extras(model, best_weights))
        state.metadata = dict(self.metadata)
        state.writer = {"host": socket.gethostname(), "pid": os.getpid()}
        state.written = time.time()
        self.store.write(STATE_FILE, json.dumps(asdict(state)).encode())
        if previous is not None:
            for name in {previous.weights_file, previous.extras_file} - {
                    state.weights_file, state.extras_file, ""}:
                self.store.remove(name)

    def restore(self, model: keras.Model, state: TrainingState) -> list | None:
        """Load the checkpoint's weights, optimizer variables and seed states into a compiled
        `model` built like the one saved; returns early stopping's best weights (or None)."""
        weights = self.store.read(state.weights_file)
        extras = self.store.read(state.extras_file)
        if weights is None or extras is None:
            raise SignbridgeError(f"{self.store.location}: checkpoint of epoch "
                                  f"{state.epochs_done} is incomplete; re-run with --fresh")
        model.optimizer.build(model.trainable_variables)  # so its variables can be loaded
        with tempfile.TemporaryDirectory() as local:
            path = Path(local) / state.weights_file
            path.write_bytes(weights)
            model.load_weights(path)
        with np.load(io.BytesIO(extras), allow_pickle=False) as saved:
            for position, variable in enumerate(_seed_states(model)):
                variable.assign(saved[f"seed_{position}"])
            best = [saved[f"best_{i}"] for i in range(int(saved["best_count"]))]
        return best or None

    def finish(self, state: TrainingState) -> None:
        """Mark the run complete and drop its weights: the model itself is the run's output."""
        state.complete = True
        state.metadata = dict(self.metadata)
        state.written = time.time()
        self.store.write(STATE_FILE, json.dumps(asdict(state)).encode())
        for name in (state.weights_file, state.extras_file):
            if name:
                self.store.remove(name)


class CheckpointEveryEpoch(keras.callbacks.Callback):
    """Saves a checkpoint at the end of every epoch and, when resuming, puts early stopping back
    as it was. Place it after the EarlyStopping callback (it saves the stopper's updated state)
    and before any callback that reports the epoch (a reported epoch is then always saved)."""

    def __init__(self, checkpoints: Checkpoints, stopper: keras.callbacks.EarlyStopping,
                 resumed: TrainingState | None = None, best_weights: list | None = None) -> None:
        super().__init__()
        self.checkpoints, self.stopper = checkpoints, stopper
        self.resumed, self.resumed_best = resumed, best_weights
        self.history: dict[str, list[float]] = (
            {name: list(values) for name, values in resumed.history.items()} if resumed else {})
        self.state: TrainingState | None = resumed

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.resumed is None:
            return
        # EarlyStopping resets itself in its own on_train_begin, which has run by now.
        saved = self.resumed.early_stopping
        self.stopper.best = saved["best"]
        self.stopper.best_epoch = int(saved["best_epoch"])
        self.stopper.wait = int(saved["wait"])
        self.stopper.stopped_epoch = int(saved["stopped_epoch"])
        self.stopper.best_weights = self.resumed_best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        self.state = TrainingState(
            identity=self.checkpoints.identity,
            epochs_done=epoch + 1,
            history=self.history,
            # `best` stays None until the stopper starts watching (after `min_epochs`).
            early_stopping={"best": None if self.stopper.best is None else float(self.stopper.best),
                            "best_epoch": int(self.stopper.best_epoch),
                            "wait": int(self.stopper.wait),
                            "stopped_epoch": int(self.stopper.stopped_epoch)},
            stopped=bool(self.model.stop_training),
        )
        self.checkpoints.save(self.model, self.state, self.stopper.best_weights)


def _seed_states(model: keras.Model) -> list:
    """Variables that `save_weights` leaves out: the dropout layers' seed generator states."""
    saved = {id(variable) for variable in model.weights}
    return [variable for variable in model.variables if id(variable) not in saved]


def _extras(model: keras.Model, best_weights: list | None) -> bytes:
    arrays = {f"seed_{i}": np.asarray(v) for i, v in enumerate(_seed_states(model))}
    arrays.update({f"best_{i}": np.asarray(w) for i, w in enumerate(best_weights or [])})
    buffer = io.BytesIO()
    np.savez(buffer, best_count=np.int64(len(best_weights or [])), **arrays)
    return buffer.getvalue()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
