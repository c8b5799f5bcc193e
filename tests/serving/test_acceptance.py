"""The acceptance rule: "not sure" for too little evidence or too little confidence, answers
ranked among the known signs only, fitted on held-out data, and carried in the model package."""

import json

import numpy as np
import pytest

from signbridge.data.landmarks import NUM_SIGNS, PART_START, index_to_sign, sign_to_index
from signbridge.errors import SignbridgeError
from signbridge.model.card import acceptance_text
from signbridge.serving.acceptance import AcceptanceRule, fit_acceptance
from signbridge.serving.package import ModelPackage

SIGNS = list(index_to_sign())
KNOWN = ["hello", "thankyou"]


def probabilities(**weights: float) -> np.ndarray:
    """A model output with the given mass on named signs and the rest spread thin."""
    output = np.full(NUM_SIGNS, 1e-4, np.float32)
    for sign, weight in weights.items():
        output[sign_to_index()[sign]] = weight
    return output / output.sum()


def frames(count: int, hands: int) -> np.ndarray:
    landmarks = np.full((count, 543, 3), np.nan, np.float32)
    landmarks[:, PART_START["pose"]:PART_START["pose"] + 33] = 0.5
    landmarks[:hands, PART_START["right_hand"]:PART_START["right_hand"] + 21] = 0.4
    return landmarks


def test_answers_rank_only_known_signs_and_hide_empty_rows():
    rule = AcceptanceRule(KNOWN, min_confidence=0.6)
    answer = rule.judge(probabilities(hello=0.5, TV=0.45, thankyou=0.05), frames(20, 20), SIGNS)
    assert answer.accepted and answer.sign == "hello"
    assert [sign for sign, _ in answer.top] == ["hello", "thankyou"]  # TV is not a known sign
    assert sum(p for _, p in answer.top) == pytest.approx(1.0)
    sure = rule.judge(probabilities(hello=0.99999, thankyou=1e-7), frames(20, 20), SIGNS)
    assert [sign for sign, _ in sure.top] == ["hello"]  # a 0 % row carries nothing


@pytest.mark.parametrize(("count", "hands", "words"), [
    (1, 1, "too short: 1 frame"),
    (20, 0, "no hand was seen"),
])
def test_too_little_evidence_is_not_sure(count, hands, words):
    rule = AcceptanceRule(KNOWN, min_frames=2, min_hand_frames=1)
    answer = rule.judge(probabilities(hello=0.99), frames(count, hands), SIGNS)
    assert not answer.accepted and answer.sign is None and words in answer.reason
    assert answer.as_dict()["reason"] == answer.reason and answer.as_dict()["accepted"] is False


def test_low_confidence_is_not_sure_with_the_reason_in_plain_words():
    rule = AcceptanceRule(KNOWN, min_confidence=0.8)
    answer = rule.judge(probabilities(hello=0.55, thankyou=0.45), frames(20, 20), SIGNS)
    assert not answer.accepted
    assert "not sure" in answer.reason and "'hello' at 55%" in answer.reason
    assert "hello, thankyou" in answer.reason  # what it knows


@pytest.mark.parametrize(("hands", "hinted"), [(1, True), (3, True), (4, False), (20, False)])
def test_a_doubtful_answer_from_a_hand_in_few_frames_says_so(hands, hinted):
    rule = AcceptanceRule(KNOWN, min_confidence=0.8)
    doubtful = rule.judge(probabilities(hello=0.6, thankyou=0.4), frames(20, hands), SIGNS)
    assert not doubtful.accepted and doubtful.reason.startswith("not sure")
    assert ("A hand was seen in only a few frames" in doubtful.reason) == hinted
    assert doubtful.frames_with_hands == hands  # the count itself is in the answer
    sure = rule.judge(probabilities(hello=0.95, thankyou=0.05), frames(20, hands), SIGNS)
    assert sure.accepted and sure.reason == ""  # an accepted answer carries no hint


def test_an_output_mostly_outside_the_known_signs_is_not_sure():
    rule = AcceptanceRule(KNOWN, min_confidence=0.6, min_known_share=0.5)
    # Sure among its two signs (90 % hello), but only 30 % of the output is on them at all.
    output = probabilities(hello=0.27, thankyou=0.03, TV=0.7)
    elsewhere = rule.judge(output, frames(20, 20), SIGNS)
    share = output[[sign_to_index()[s] for s in KNOWN]].sum()
    assert 0.28 < share < 0.3 and rule.known_share(output, SIGNS) == pytest.approx(share)
    assert not elsewhere.accepted and elsewhere.sign is None
    assert "unlike every sign this model knows" in elsewhere.reason
    assert f"puts {share:.0%} of its answer on them" in elsewhere.reason
    assert [sign for sign, _ in elsewhere.top][0] == "hello"  # still ranked among known signs
    known = rule.judge(probabilities(hello=0.54, thankyou=0.06, TV=0.4), frames(20, 20), SIGNS)
    assert known.accepted and known.sign == "hello"
    assert AcceptanceRule.from_dict(rule.to_dict()).min_known_share == 0.5
    card = acceptance_text(rule.to_dict())
    assert "At least 50% of the model's output must fall on the trained signs" in card
    assert "must fall on" not in acceptance_text(AcceptanceRule(KNOWN, min_confidence=0.6).to_dict())


def test_fit_keeps_the_chosen_share_of_right_answers_and_calibrates():
    rng = np.random.default_rng(0)
    outputs, labels = [], []
    for i in range(200):
        sign = KNOWN[i % 2]
        other = KNOWN[1 - i % 2]
        confidence = rng.uniform(0.6, 1.0)
        outputs.append(probabilities(**{sign: confidence, other: 1 - confidence}))
        labels.append(sign_to_index()[sign])
    rule = fit_acceptance(np.array(outputs), np.array(labels), KNOWN, SIGNS, keep=0.9)
    judged = [rule.judge(o, frames(10, 10), SIGNS) for o in outputs]
    kept = np.mean([a.accepted for a in judged])
    assert 0.88 <= kept <= 0.92
    assert rule.fitted_on["sequences"] == 200 and 0.2 <= rule.temperature <= 20


def test_a_model_never_right_on_held_out_signers_is_never_accepted():
    outputs = [probabilities(thankyou=0.9, hello=0.1)] * 20  # always the wrong sign
    labels = [sign_to_index()["hello"]] * 20
    rule = fit_acceptance(np.array(outputs), np.array(labels), KNOWN, SIGNS, keep=0.95)
    assert rule.min_confidence == 1.0 and rule.fitted_on["top1"] == 0.0
    assert not rule.judge(outputs[0], frames(10, 10), SIGNS).accepted


def test_package_round_trip_and_damaged_metadata(tmp_path):
    rule = AcceptanceRule(KNOWN, temperature=1.5, min_confidence=0.7)
    package = ModelPackage(b"tflite", SIGNS, 32, rule, metrics={"eval/top1_accuracy": 0.98},
                           model_card="# card")
    folder = package.write(tmp_path / "package")
    again = ModelPackage.read(folder)
    assert again.known_signs == KNOWN and again.max_frames == 32 and again.acceptance == rule
    assert again.model == b"tflite" and again.model_card == "# card"
    metadata = json.loads((folder / "package.json").read_text())
    metadata["acceptance"]["known_signs"] = ["not-a-sign"]
    (folder / "package.json").write_text(json.dumps(metadata))
    with pytest.raises(SignbridgeError, match="package.json: known sign"):
        ModelPackage.read(folder)
    (folder / "package.json").write_text("{broken")
    with pytest.raises(SignbridgeError, match="package.json: malformed"):
        ModelPackage.read(folder)
    (folder / "labels.json").unlink()
    with pytest.raises(SignbridgeError, match="labels.json: not found"):
        ModelPackage.read(folder)


def test_a_cross_validated_threshold_is_kept_and_only_measured_on_validation():
    outputs = [probabilities(hello=0.9, thankyou=0.1), probabilities(hello=0.7, thankyou=0.3),
               probabilities(thankyou=0.95, hello=0.05), probabilities(hello=0.8, thankyou=0.2)]
    labels = [sign_to_index()[s] for s in ("hello", "hello", "thankyou", "thankyou")]
    rule = fit_acceptance(np.array(outputs), np.array(labels), KNOWN, SIGNS, keep=0.99,
                          min_confidence=0.75)
    assert rule.min_confidence == 0.75 and rule.temperature == 1.0  # not rescaled
    assert rule.fitted_on["fixed"] and rule.fitted_on["keep"] == pytest.approx(2 / 3)
    answer = rule.judge(outputs[1], frames(20, 20), SIGNS)
    assert not answer.accepted and "'hello' at 70%" in answer.reason
    assert rule.judge(outputs[0], frames(20, 20), SIGNS).top[0] == ("hello", pytest.approx(0.9))


def test_a_confidence_just_under_the_threshold_does_not_read_as_the_threshold():
    rule = AcceptanceRule(KNOWN, min_confidence=0.75)
    answer = rule.judge(probabilities(hello=0.7474, thankyou=0.2526), frames(20, 20), SIGNS)
    assert not answer.accepted and "'hello' at 74.7%, it accepts from 75%" in answer.reason
