"""Resumable training in one process: a run interrupted after an epoch's checkpoint goes on from
there, with its history, optimizer step and early stopping intact."""

import json
import os
import socket
from dataclasses import asdict

import numpy as np
import pytest

from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.files import read_index
from signbridge.data.shards import build_shard_cache
from signbridge.errors import SignbridgeError
from signbridge.model.checkpoint import Checkpoints, LocalFolder, TrainingState, run_identity
from signbridge.model.features import build_feature_shards, epoch_sequences
from signbridge.model.network import build_classifier
from signbridge.model.training import train_classifier
from tests.conftest import SAMPLE_ROOT

PREPROCESS = PreprocessConfig(max_frames=8)
NETWORK = ModelConfig(width=16, num_blocks=1, num_heads=2)
TRAINING = TrainConfig(epochs=3, batch_size=32, patience=5, schedule="cosine", warmup_epochs=1)


class Killed(Exception):
    """Stands in for a SIGKILL right after an epoch was reported."""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkpoint-data")
    shards, _ = build_shard_cache(read_index(SAMPLE_ROOT), root / "raw", shard_size=32)
    train = shards.restricted_to(["2044", "18796", "22343"])
    validation = build_feature_shards(shards.restricted_to(["25571"]), PREPROCESS, root / "features")
    return train, validation


def kill_after(epoch: int, seen: list[int]):
    def report(finished: int, logs: dict[str, float]) -> None:
        seen.append(finished)
        if finished == epoch:
            raise Killed

    return report


def test_an_interrupted_run_resumes_after_its_last_checkpoint(data, tmp_path):
    train, validation = data
    checkpoints = Checkpoints(LocalFolder(tmp_path), run_identity(
        train, validation, PREPROCESS, NETWORK, TRAINING))
    checkpoints.metadata = {"mlflow_run_id": "abc"}
    first: list[int] = []
    with pytest.raises(Killed):
        train_classifier(train, validation.load(), PREPROCESS, NETWORK, TRAINING,
                         on_epoch_end=kill_after(2, first), checkpoints=checkpoints)
    state = checkpoints.unfinished()
    assert first == [1, 2] and state.epochs_done == 2 and state.metadata["mlflow_run_id"] == "abc"
    assert len(state.history["val_loss"]) == 2
    # Only the last epoch's files are kept, next to the state that names them.
    assert sorted(LocalFolder(tmp_path).names()) == [
        "epoch-0002.extras.npz", "epoch-0002.weights.h5", "state.json"]

    second: list[int] = []
    with pytest.raises(Killed):  # killed again, this time after the last epoch's checkpoint
        train_classifier(train, validation.load(), PREPROCESS, NETWORK, TRAINING,
                         on_epoch_end=kill_after(3, second), checkpoints=checkpoints,
                         resume_from=state)
    assert second == [3]  # epochs 1 and 2 were not trained again
    last = checkpoints.unfinished()
    assert last.history["val_loss"][:2] == state.history["val_loss"]

    third: list[int] = []
    result = train_classifier(train, validation.load(), PREPROCESS, NETWORK, TRAINING,
                              on_epoch_end=kill_after(0, third), checkpoints=checkpoints,
                              resume_from=last)
    assert third == []  # nothing left to train: the best weights are put back and it finishes
    assert result.history == last.history and len(result.history["val_loss"]) == 3
    assert result.best_epoch == 1 + int(np.argmin(result.history["val_loss"]))
    steps = -(-train.sequences // TRAINING.batch_size)
    assert int(result.model.optimizer.iterations.numpy()) == 3 * steps  # the schedule went on
    fresh = build_classifier(NETWORK, PREPROCESS.max_frames)
    assert [w.shape for w in result.model.weights] == [w.shape for w in fresh.weights]
    # Finished: marked complete, weights dropped, and the next run starts from scratch.
    assert checkpoints.state().complete and checkpoints.unfinished() is None
    assert LocalFolder(tmp_path).names() == ["state.json"]


def test_identity_follows_what_changes_training(data):
    train, validation = data
    identity = run_identity(train, validation, PREPROCESS, NETWORK, TRAINING)
    same = TRAINING.model_copy(update={"jit_compile": True, "resume": False})
    assert run_identity(train, validation, PREPROCESS, NETWORK, same) == identity
    for changed in (TRAINING.model_copy(update={"epochs": 4}),
                    TRAINING.model_copy(update={"precision": "mixed_float16"})):
        assert run_identity(train, validation, PREPROCESS, NETWORK, changed) != identity
    fewer = train.restricted_to(["2044", "18796"])
    assert run_identity(fewer, validation, PREPROCESS, NETWORK, TRAINING) != identity


def test_each_epoch_is_shuffled_from_its_own_number(data):
    train, _ = data

    def labels(epoch: int) -> list[int]:
        return [int(label) for _, label in epoch_sequences(train, 0, epoch)]

    assert labels(3) == labels(3)  # a resumed run reads epoch 3 as an uninterrupted one did
    assert labels(3) != labels(4) and sorted(labels(3)) == sorted(labels(4))
    first = next(iter(epoch_sequences(train, 0, 3)))[0]
    np.testing.assert_array_equal(first, next(iter(epoch_sequences(train, 0, 3)))[0])


def test_a_checkpoint_whose_writer_is_alive_is_not_taken_over(tmp_path):
    folder = LocalFolder(tmp_path)
    state = TrainingState("same", 2, {}, {}, stopped=False,
                          writer={"host": socket.gethostname(), "pid": os.getppid()})
    folder.write("state.json", json.dumps(asdict(state)).encode())
    with pytest.raises(SignbridgeError, match=f"in progress \\(pid {os.getppid()}\\)"):
        Checkpoints(folder, "same").unfinished()
    assert Checkpoints(folder, "another config").unfinished() is None
    state.writer["pid"] = 2**22 + 1  # above the kernel's pid limit: long gone
    folder.write("state.json", json.dumps(asdict(state)).encode())
    assert Checkpoints(folder, "same").unfinished().epochs_done == 2


def test_a_run_killed_before_early_stopping_watches_resumes(data, tmp_path):
    """With `min_epochs`, the first epochs have no best score yet; their checkpoints still save
    and resume (the sample config's first 15 epochs)."""
    train, validation = data
    training = TrainConfig(epochs=3, batch_size=32, patience=5, min_epochs=2)
    checkpoints = Checkpoints(LocalFolder(tmp_path), run_identity(
        train, validation, PREPROCESS, NETWORK, training))
    with pytest.raises(Killed):
        train_classifier(train, validation.load(), PREPROCESS, NETWORK, training,
                         on_epoch_end=kill_after(1, []), checkpoints=checkpoints)
    state = checkpoints.unfinished()
    assert state.epochs_done == 1 and state.early_stopping["best"] is None
    result = train_classifier(train, validation.load(), PREPROCESS, NETWORK, training,
                              checkpoints=checkpoints, resume_from=state)
    assert len(result.history["val_loss"]) == 3
    assert result.best_epoch == 3  # the only epoch the stopper watched
