"""The promotion decision, scored on real held-out sequences, and the typed config loading."""

import numpy as np
import pytest

from signbridge.config import (
    PROJECT_ROOT,
    load_deploy_config,
    load_training_config,
    model_name,
)
from signbridge.data.files import read_index
from signbridge.data.landmarks import NUM_SIGNS
from signbridge.data.shards import build_shard_cache
from signbridge.errors import SignbridgeError
from signbridge.model.promotion import decide
from tests.conftest import SAMPLE_ROOT, write_config


class ScriptedModel:
    """Stands in for the TFLite runtime: right on the first `right` sequences it is asked about,
    wrong after that (the decision, not the model, is under test here)."""

    def __init__(self, right: int) -> None:
        self.right, self.calls, self.labels = right, 0, iter(())

    def probabilities(self, frames: np.ndarray) -> np.ndarray:
        label = next(self.labels)
        output = np.zeros(NUM_SIGNS, np.float32)
        output[label if self.calls < self.right else (label + 1) % NUM_SIGNS] = 1.0
        self.calls += 1
        return output


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    shards, _ = build_shard_cache(read_index(SAMPLE_ROOT), tmp_path_factory.mktemp("shards"))
    return shards.restricted_to(["2044", "4718"])


def scripted(held_out, right: int) -> ScriptedModel:
    model = ScriptedModel(right)
    model.labels = iter([int(label) for shard in held_out.iter_shards() for label in shard.labels])
    return model


def test_first_model_is_promoted_then_only_a_strictly_better_one(held_out):
    total = held_out.sequences
    first = decide(scripted(held_out, total - 5), 1, None, None, held_out)
    assert first.promote and first.reason == "no production model yet"
    assert first.evaluation_sequences == total and len(first.evaluation_fingerprint) == 16
    better = decide(scripted(held_out, total - 2), 2, scripted(held_out, total - 5), 1, held_out)
    assert better.promote and "> production" in better.reason
    assert better.candidate_top1 > better.production_top1
    equal = decide(scripted(held_out, total - 5), 3, scripted(held_out, total - 5), 2, held_out)
    assert not equal.promote and "not better than production" in equal.reason
    again = decide(scripted(held_out, total), 2, scripted(held_out, total), 2, held_out)
    assert not again.promote and again.reason == "version 2 is already production"


def test_every_config_loads_typed():
    for path in (PROJECT_ROOT / "configs").glob("train_*.yaml"):
        config = load_training_config(path)
        assert config.preprocess.max_frames >= 16 and config.split.evaluation_signers
    assert load_deploy_config().app.host == "127.0.0.1"
    assert model_name() == model_name(PROJECT_ROOT / "configs/train_sample.yaml") == "signbridge-asl"


def test_a_bad_config_is_named_with_the_key_and_the_problem(tmp_path):
    broken = write_config("configs/train_sample.yaml", tmp_path / "broken.yaml",
                          training={"epochs": 0})
    with pytest.raises(SignbridgeError, match=r"broken.yaml: parameters.training.epochs"):
        load_training_config(broken)
    typo = write_config("configs/train_sample.yaml", tmp_path / "typo.yaml",
                        network={"widht": 64})
    with pytest.raises(SignbridgeError, match=r"typo.yaml: parameters.network.widht"):
        load_training_config(typo)
    (tmp_path / "not.yaml").write_text("parameters: [unclosed")
    with pytest.raises(SignbridgeError, match="not.yaml: not valid YAML"):
        load_training_config(tmp_path / "not.yaml")
    with pytest.raises(SignbridgeError, match="missing.yaml: config file not found"):
        load_training_config(tmp_path / "missing.yaml")
