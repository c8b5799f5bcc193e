"""Training switches for GPUs, checked on CPU: mixed precision trains, and what it yields is a
float32 model whose TFLite export matches Keras."""

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.files import read_index
from signbridge.data.shards import build_shard_cache
from signbridge.model.export import check_parity, convert_to_tflite
from signbridge.model.features import build_feature_shards
from signbridge.model.network import build_classifier
from signbridge.model.training import train_classifier
from tests.conftest import SAMPLE_ROOT

PREPROCESS = PreprocessConfig(max_frames=8)
NETWORK = ModelConfig(width=16, num_blocks=1, num_heads=2)


def test_mixed_precision_trains_and_exports_a_float32_model(tmp_path, sample_dataset):
    shards, _ = build_shard_cache(read_index(SAMPLE_ROOT), tmp_path / "raw", shard_size=32)
    validation = build_feature_shards(shards.restricted_to(["25571"]), PREPROCESS,
                                      tmp_path / "features").load()
    devices: list[dict[str, str]] = []
    result = train_classifier(
        shards.restricted_to(["2044", "18796"]), validation, PREPROCESS, NETWORK,
        TrainConfig(epochs=1, batch_size=16, precision="mixed_float16"),
        on_start=devices.append)
    assert devices[0]["precision"] == "mixed_float16" and devices[0]["xla"] == "off"  # on CPU
    assert np.isfinite(result.history["loss"]).all() and np.isfinite(result.history["val_loss"]).all()

    model = result.model
    assert model.dtype_policy.name == "float32"
    assert all(layer.dtype_policy.name == "float32" for layer in model.layers)
    assert [w.shape for w in model.weights] == [
        w.shape for w in build_classifier(NETWORK, PREPROCESS.max_frames).weights]
    path = convert_to_tflite(model, PREPROCESS, tmp_path / "model.tflite")
    dtypes = {detail["dtype"] for detail in Interpreter(model_path=str(path)).get_tensor_details()}
    assert np.float16 not in dtypes and np.float32 in dtypes
    sequences = [sample_dataset.sequence(i) for i in range(0, 100, 20)]
    assert check_parity(model, PREPROCESS, path, sequences, tolerance=1e-4).max_abs_difference <= 1e-4


def test_mixed_policy_stays_with_the_model_it_built():
    mixed = build_classifier(NETWORK, PREPROCESS.max_frames, "mixed_float16")
    assert mixed.get_layer("transformer_0").compute_dtype == "float16"
    assert mixed.get_layer("signs").compute_dtype == "float32"  # the softmax
    assert build_classifier(NETWORK, PREPROCESS.max_frames).dtype_policy.name == "float32"
    features = np.zeros((2, PREPROCESS.max_frames, 65, 4), np.float32)
    masks = np.zeros((2, PREPROCESS.max_frames), np.float32)
    masks[0, :3] = 1.0
    features[0, :3] = 0.5
    # A frame with no part at all (all padding) must not turn into NaN in float16.
    assert np.isfinite(mixed.predict([features, masks], verbose=0)).all()
