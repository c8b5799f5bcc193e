"""The competition contract an imported `.tflite` must keep: real models built here with the
project's export code, checked with the real TFLite runtime on real sequences."""

import json
from pathlib import Path

import mediapipe
import numpy as np
import pytest

from signbridge.data.landmarks import index_to_sign, sign_to_index
from signbridge.serving.contract import (
    ContractError,
    check_contract,
    read_competition_labels,
    real_probes,
)
from tests import tflite_models

MEDIAPIPE_HAND_MODEL = (Path(mediapipe.__file__).parent / "modules" / "hand_landmark"
                        / "hand_landmark_lite.tflite")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("models")
    built = {name: getattr(tflite_models, f"{name}_model")(folder / f"{name}.tflite").read_bytes()
             for name in ("contract", "logits", "nan", "ten_sign", "face_centred")}
    return built


@pytest.fixture(scope="module")
def probes():
    return real_probes()


def refusal(model: bytes, probes) -> str:
    with pytest.raises(ContractError) as refused:
        check_contract(model, "their.tflite", probes)
    message = str(refused.value)
    assert message.startswith("their.tflite: ") and "\n" not in message
    return message


def test_probes_are_real_sequences_as_recorded_and_with_each_part_removed(probes):
    names = [probe.name for probe in probes]
    assert sum(name.endswith("as recorded") for name in names) == 3
    assert [name.rsplit(" with the ", 1)[-1] for name in names[3:]] == [
        "left hand removed", "right hand removed", "face removed"]
    assert all(probe.frames.shape[1:] == (543, 3) for probe in probes)


def test_a_contract_model_is_accepted(models, probes):
    report = check_contract(models["contract"], "their.tflite", probes)
    assert report.outputs == "probabilities" and report.input_shape == [-1, 543, 3]
    assert report.probes == len(probes) and report.size_bytes == len(models["contract"])
    assert 0 < report.latency_ms < 100


def test_logits_are_recognised_and_served_as_probabilities(models, probes):
    from signbridge.serving.classifier import SignClassifier

    assert check_contract(models["logits"], "their.tflite", probes).outputs == "logits"
    raw = SignClassifier(models["logits"]).probabilities(probes[0].frames)
    served = SignClassifier(models["logits"], outputs="logits").probabilities(probes[0].frames)
    assert served.sum() == pytest.approx(1.0, abs=1e-5) and served.min() >= 0
    assert np.argsort(served)[-10:].tolist() == np.argsort(raw)[-10:].tolist()


def test_a_model_returning_nan_on_a_missing_part_is_refused_with_that_reason(models, probes):
    message = refusal(models["nan"], probes)
    assert "returns NaN when a body part is missing" in message
    assert "as recorded: left hand missing in" in message  # a one-handed sign, as filmed
    face = refusal(models["face_centred"], probes)
    assert "returns NaN when a body part is missing" in face and "with the face removed" in face


def test_a_wrong_shaped_model_is_refused(models, probes):
    assert "output `outputs` is float32 [10]; the competition contract is float32 [250]" in (
        refusal(models["ten_sign"], probes))


def test_damaged_and_foreign_files_are_refused(models, probes, sample_files):
    truncated = models["contract"][: len(models["contract"]) // 2]
    assert "damaged TFLite file, truncated or corrupted" in refusal(truncated, probes)
    assert "not a TFLite model" in refusal(sample_files[0].read_bytes(), probes)
    assert "not a TFLite model" in refusal(b"<html>not found</html>", probes)
    assert "empty file" in refusal(b"", probes)
    # A real TFLite model of something else: MediaPipe's hand landmarker.
    other = refusal(MEDIAPIPE_HAND_MODEL.read_bytes(), probes)
    assert "no signature `serving_default` (signatures: none)" in other


def test_labels_in_the_competition_order_are_read_in_any_of_three_shapes(tmp_path):
    signs = list(index_to_sign())
    shapes = {"map.json": sign_to_index(), "labels.json": dict(enumerate(signs)),
              "list.json": signs}
    for name, content in shapes.items():
        (tmp_path / name).write_text(json.dumps({str(k): v for k, v in content.items()}
                                                if name == "labels.json" else content))
        assert read_competition_labels(tmp_path / name) == signs


@pytest.mark.parametrize("labels, reason", [
    (list(index_to_sign())[:10], "10 signs; the model has 250 outputs"),
    (["hallo", *list(index_to_sign())[1:]], "1 sign(s) not among the competition's 250: 'hallo'"),
    (["TV", *list(index_to_sign())[:-1]], "sign(s) named twice: TV"),
    ([*list(index_to_sign())[1::-1], *list(index_to_sign())[2:]],
     "output 0 is 'after' here but 'TV' in the competition's order"),
])
def test_labels_that_do_not_match_the_250_signs_are_refused(tmp_path, labels, reason):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(labels))
    with pytest.raises(ContractError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_competition_labels(path)


def test_a_labels_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "labels.json"
    path.write_text("TV\nafter\n")
    with pytest.raises(ContractError, match="labels.json: not a readable JSON labels file"):
        read_competition_labels(path)
