"""The TFLite contract of the competition and parity with Keras, with the real interpreter."""

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from signbridge.config import ModelConfig, PreprocessConfig
from signbridge.data.landmarks import index_to_sign, part_rows
from signbridge.model.export import ParityError, check_parity, convert_to_tflite
from signbridge.model.network import build_classifier
from signbridge.serving.acceptance import AcceptanceRule
from signbridge.serving.package import ModelPackage
from signbridge.serving.recognition import Recogniser
from signbridge.serving.video import VideoLimits
from tests.clips import person_clip

MAX_FRAMES = 16
PREPROCESS = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    classifier = build_classifier(ModelConfig(width=32, num_blocks=1, num_heads=2), MAX_FRAMES)
    path = convert_to_tflite(
        classifier, PREPROCESS, tmp_path_factory.mktemp("tflite") / "model.tflite"
    )
    return classifier, path


def test_signature_matches_the_competition_contract(exported):
    _, path = exported
    interpreter = Interpreter(model_path=str(path))
    signatures = interpreter.get_signature_list()
    assert signatures == {"serving_default": {"inputs": ["inputs"], "outputs": ["outputs"]}}
    runner = interpreter.get_signature_runner("serving_default")
    details = runner.get_input_details()["inputs"]
    assert details["dtype"] == np.float32
    assert list(details["shape_signature"]) == [-1, 543, 3]
    for frames in (1, 37, 600):
        raw = np.random.default_rng(frames).random((frames, 543, 3), dtype=np.float32)
        raw[:, 468:489] = np.nan  # an undetected left hand, as in the data
        output = runner(inputs=raw)["outputs"]
        assert output.shape == (250,) and output.dtype == np.float32
        assert np.isfinite(output).all() and abs(output.sum() - 1) < 1e-4


def test_tflite_matches_keras_on_real_sequences(exported, sample_dataset):
    classifier, path = exported
    sequences = [sample_dataset.sequence(i) for i in range(0, 125, 12)]
    report = check_parity(classifier, PREPROCESS, path, sequences, tolerance=1e-4)
    assert report.sequences == len(sequences)
    assert report.max_abs_difference <= 1e-4


def test_parity_check_fails_loudly_when_models_differ(exported, sample_dataset):
    _, path = exported
    other = build_classifier(ModelConfig(width=32, num_blocks=1, num_heads=2), MAX_FRAMES)
    with pytest.raises(ParityError, match="differs from Keras"):
        check_parity(other, PREPROCESS, path, [sample_dataset.sequence(0)], tolerance=1e-4)


@pytest.mark.parametrize("quantization", ["float16", "dynamic_int8"])
def test_quantised_exports_keep_the_contract_and_stay_close(exported, sample_dataset, tmp_path,
                                                            quantization):
    classifier, float_path = exported
    path = convert_to_tflite(classifier, PREPROCESS, tmp_path / "q.tflite", quantization)
    assert path.stat().st_size < float_path.stat().st_size
    runner = Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    reference = Interpreter(model_path=str(float_path)).get_signature_runner("serving_default")
    frames = sample_dataset.sequence(5)
    quantised, exact = runner(inputs=frames)["outputs"], reference(inputs=frames)["outputs"]
    assert quantised.shape == (250,) and np.abs(quantised - exact).max() < 0.05


def test_video_is_sampled_to_the_frame_count_the_package_was_trained_with(exported, tmp_path):
    _, path = exported
    package = ModelPackage(path.read_bytes(), list(index_to_sign()), max_frames=MAX_FRAMES,
                           acceptance=AcceptanceRule(["hello", "thankyou"]))
    recogniser = Recogniser(package, VideoLimits(max_frames=64))  # the package wins
    clip = person_clip(tmp_path / "two-seconds.mp4", seconds=2.0, fps=30, size=(320, 240))
    result = recogniser.video(clip)
    assert recogniser.limits.max_frames == MAX_FRAMES and len(result.landmarks) == MAX_FRAMES
    assert {sign for sign, _ in result.answer.top} <= {"hello", "thankyou"}


def test_face_groups_and_depth_export_with_parity(tmp_path, sample_dataset):
    """The optional landmark groups live inside the exported model too, under the same contract."""
    preprocess = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True,
                                  groups=["lips", "eyes", "nose"], depth=True)
    classifier = build_classifier(ModelConfig(width=16, num_blocks=1, num_heads=2), MAX_FRAMES,
                                  layout=preprocess.layout())
    assert classifier.inputs[0].shape[2:] == (148, 6)
    path = convert_to_tflite(classifier, preprocess, tmp_path / "model.tflite")
    sequences = [sample_dataset.sequence(i) for i in range(0, 125, 25)]
    report = check_parity(classifier, preprocess, path, sequences, tolerance=1e-4)
    assert report.max_abs_difference <= 1e-4


def test_gap_filling_and_stretching_export_with_parity(tmp_path, sample_dataset):
    """Filling the frames where a hand was missed, and stretching short sequences, run inside
    the exported model too."""
    preprocess = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True,
                                  hand_shape=True, fill_hand_gaps=3, fill_along="pose",
                                  stretch_short=True)
    classifier = build_classifier(ModelConfig(width=16, num_blocks=1, num_heads=2), MAX_FRAMES,
                                  layout=preprocess.layout())
    path = convert_to_tflite(classifier, preprocess, tmp_path / "model.tflite")
    sequences = []
    for i in range(0, 125, 25):
        gapped = sample_dataset.sequence(i).copy()
        for hand in ("left_hand", "right_hand"):  # both hands missed in every third frame
            gapped[1::3, part_rows(hand)] = np.nan
        sequences.append(gapped)
    report = check_parity(classifier, preprocess, path, sequences, tolerance=1e-4)
    assert report.max_abs_difference <= 1e-4


@pytest.mark.parametrize("frame", ["palm", "bones"])
def test_palm_frame_hand_shapes_export_with_parity(tmp_path, sample_dataset, frame):
    """Turning each hand into its palm's frame (with depth), and into its bones' directions
    there, runs inside the exported model too."""
    preprocess = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True,
                                  depth=True, hand_shape=True, hand_frame=frame)
    classifier = build_classifier(ModelConfig(width=16, num_blocks=1, num_heads=2), MAX_FRAMES,
                                  layout=preprocess.layout())
    path = convert_to_tflite(classifier, preprocess, tmp_path / "model.tflite")
    sequences = [sample_dataset.sequence(i) for i in range(0, 125, 25)]
    report = check_parity(classifier, preprocess, path, sequences, tolerance=1e-4)
    assert report.max_abs_difference <= 1e-4
