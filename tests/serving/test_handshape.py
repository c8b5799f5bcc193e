"""The handshape check: descriptors that ignore where the hand is, its size and its turn in the
picture (or in space, with depth); known signers' hands pass, changed handshapes do not, with
either way of comparing; the rule says why, and the package keeps how it compares."""

import re
from dataclasses import replace

import numpy as np
import pytest

from signbridge.config import EvaluationConfig
from signbridge.data.files import read_index, read_landmark_file
from signbridge.data.landmarks import PART_START, index_to_sign, sign_to_index
from signbridge.model.card import acceptance_text
from signbridge.model.evaluation import KnownSequences, fitted_rule
from signbridge.serving.acceptance import AcceptanceRule
from signbridge.serving.handshape import (
    HandshapeBank,
    compared,
    describe,
    fit_limit,
    handshapes,
)
from signbridge.serving.package import ModelPackage
from tests.conftest import SAMPLE_ROOT
from tests.serving.test_acceptance import probabilities

RIGHT = slice(PART_START["right_hand"], PART_START["right_hand"] + 21)
LEFT = slice(PART_START["left_hand"], PART_START["left_hand"] + 21)


@pytest.fixture(scope="module")
def performances() -> tuple[list[np.ndarray], list[str]]:
    index = read_index(SAMPLE_ROOT)
    return ([read_landmark_file(path) for path in index["path"]],
            index["participant_id"].astype(str).tolist())


def fist(landmarks: np.ndarray) -> np.ndarray:
    """The same clip with every finger of both hands folded down over the palm: each finger's
    joints laid from its knuckle back towards the wrist."""
    folded = landmarks.copy()
    for hand in (LEFT, RIGHT):
        points = folded[:, hand]
        for knuckle in (5, 9, 13, 17):
            for step, joint in enumerate(range(knuckle + 1, knuckle + 4), start=1):
                points[:, joint] = points[:, knuckle] + (points[:, 0] - points[:, knuckle]) * (
                    0.2 * step)
        folded[:, hand] = points
    return folded


def test_descriptors_ignore_place_size_and_turn(performances):
    hand = performances[0][0][np.isfinite(performances[0][0][:, RIGHT, 0]).all(axis=1)][:, RIGHT,
                                                                                         :2]
    hand = hand if len(hand) else performances[0][0][:, LEFT, :2]
    hand = hand[np.isfinite(hand).all(axis=(1, 2))].astype(np.float64)
    assert len(hand)
    angle = np.deg2rad(35)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (hand - hand[:, :1]) @ turn.T * 2.5 + hand[:, :1] + 0.2
    np.testing.assert_allclose(describe(hand), describe(moved), atol=1e-6)
    assert describe(hand).shape == (len(hand), 21)


def test_depth_descriptors_ignore_a_turn_in_space_and_see_a_finger_bent_towards_the_camera(
        performances):
    clip = performances[0][0]
    hand = clip[:, RIGHT] if np.isfinite(clip[:, RIGHT]).all(axis=(1, 2)).any() else clip[:, LEFT]
    hand = hand[np.isfinite(hand).all(axis=(1, 2))].astype(np.float64)
    assert len(hand)
    angle = np.deg2rad(40)  # about the vertical axis: the hand turns towards the camera
    turn = np.array([[np.cos(angle), 0, np.sin(angle)], [0, 1, 0],
                     [-np.sin(angle), 0, np.cos(angle)]])
    moved = (hand - hand[:, :1]) @ turn.T * 1.7 + hand[:, :1] + 0.1
    np.testing.assert_allclose(describe(hand), describe(moved), atol=1e-6)
    bent = hand.copy()
    bent[:, 6:9, 2] -= np.linalg.norm(hand[:, 9, :2] - hand[:, 0, :2], axis=-1)[:, None]
    np.testing.assert_allclose(describe(hand[..., :2]), describe(bent[..., :2]))
    assert np.abs(describe(hand) - describe(bent)).max() > 0.3  # radians


def test_a_clip_3d_bank_compares_one_average_row_per_clip(performances):
    clip = performances[0][0]
    frames = handshapes(clip, depth=True)
    assert len(frames) >= 3
    np.testing.assert_allclose(compared(clip, "clip-3d"), frames.mean(axis=0, keepdims=True))
    np.testing.assert_allclose(compared(clip, "frames-2d"), handshapes(clip))


@pytest.mark.parametrize("descriptor", ["frames-2d", "clip-3d"])
def test_unseen_signers_pass_and_a_fist_does_not(performances, descriptor):
    sequences, signers = performances
    held_out = signers[0]
    rest = [i for i, who in enumerate(signers) if who != held_out]
    bank, limit, fitted = fit_limit([sequences[i] for i in rest], [signers[i] for i in rest], 0.99,
                                    descriptor=descriptor)
    assert bank.descriptor == descriptor
    assert fitted["signers"] == len(set(signers)) - 1 and np.isfinite(limit)
    mine = [s for s, who in zip(sequences, signers, strict=True) if who == held_out]
    distances = [bank.distance(s) for s in mine]
    measured = [d for d in distances if d is not None]
    assert measured and np.mean([d <= limit for d in measured]) >= 0.9
    fists = [bank.distance(fist(s)) for s in mine if bank.distance(fist(s)) is not None]
    assert fists and np.mean([d > limit for d in fists]) >= 0.9


@pytest.mark.parametrize("descriptor", ["frames-2d", "clip-3d"])
def test_too_few_frames_with_a_whole_hand_are_not_judged(performances, descriptor):
    bank = HandshapeBank.of(performances[0][:20], descriptor=descriptor)
    clip = performances[0][0].copy()
    seen = np.flatnonzero(np.isfinite(clip[:, RIGHT]).all(axis=(1, 2)))
    clip[:, LEFT] = np.nan
    clip[seen[2:], RIGHT] = np.nan  # a whole right hand in 2 frames
    assert len(seen) >= 3 and bank.distance(clip) is None
    clip[:, RIGHT] = np.nan
    assert bank.distance(clip) is None and len(handshapes(clip)) == 0


@pytest.mark.parametrize("descriptor", ["frames-2d", "clip-3d"])
def test_the_rule_says_the_handshape_is_unknown_and_travels_in_the_package(performances,
                                                                            tmp_path, descriptor):
    sequences, signers = performances
    bank, limit, _ = fit_limit(sequences[16:], signers[16:], 0.99, descriptor=descriptor)
    rule = AcceptanceRule(["hello", "thankyou"], min_confidence=0.75,
                          handshapes=bank.to_dict(), max_handshape_distance=limit)
    clip = next(s for s in sequences[:16] if bank.distance(s) is not None
                and bank.distance(s) <= limit)
    sure = probabilities(hello=0.95, thankyou=0.05)
    assert rule.judge(sure, clip, list(index_to_sign())).accepted
    answer = rule.judge(sure, fist(clip), list(index_to_sign()))
    assert not answer.accepted and "hand's shape" in answer.reason
    assert answer.top[0][0] == "hello"  # the ranking is still shown

    ModelPackage(b"tflite", list(index_to_sign()), 32, rule).write(tmp_path)
    loaded = ModelPackage.read(tmp_path).acceptance
    assert loaded.max_handshape_distance == limit
    assert loaded.handshape_bank.descriptor == descriptor
    assert loaded.summary()["handshape_descriptor"] == descriptor
    said = "clip's average joint angles in space" if descriptor == "clip-3d" else "over the frames"
    assert said in acceptance_text(loaded.to_dict())
    assert said in acceptance_text(loaded.summary())
    assert not loaded.judge(sure, fist(clip), list(index_to_sign())).accepted
    assert loaded.judge(sure, clip, list(index_to_sign())).accepted


def test_a_handshape_scale_under_one_tightens_the_fitted_limit(performances):
    sequences, signers = performances
    known = KnownSequences(sequences[16:], signers[16:])
    signs = ["hello", "thankyou"]
    outputs = np.stack([probabilities(hello=0.9, thankyou=0.1),
                        probabilities(hello=0.1, thankyou=0.9)] * 4)
    labels = np.array([sign_to_index()[sign] for sign in signs] * 4)

    def rule(scale: float) -> AcceptanceRule:
        settings = EvaluationConfig(min_confidence=0.6, handshape_quantile=0.99,
                                    handshape_scale=scale)
        return fitted_rule(settings, outputs, labels, signs, known)

    fitted = rule(1.0)
    limit, bank = fitted.max_handshape_distance, fitted.handshape_bank
    # An unseen signer's clip the fitted limit accepts, and a scale that puts the limit under it.
    accepted = [(d, s) for s in sequences[:16]
                if (d := bank.distance(s)) is not None and d <= limit]
    distance, clip = max(accepted, key=lambda pair: pair[0])
    scale = round(0.9 * distance / limit, 3)
    tight = rule(scale)
    assert tight.max_handshape_distance == pytest.approx(scale * limit, abs=1e-3)
    assert tight.fitted_on["handshape_scale"] == scale
    assert f"{scale:g} times the distance reached by 99%" in acceptance_text(tight.to_dict())
    assert "as in 99%" in acceptance_text(fitted.to_dict())
    sure = probabilities(hello=0.95, thankyou=0.05)
    assert fitted.judge(sure, clip, list(index_to_sign())).accepted
    assert "hand's shape" in tight.judge(sure, clip, list(index_to_sign())).reason


def test_a_bank_saved_before_descriptors_had_names_compares_frames_in_2d(performances):
    bank = HandshapeBank.of(performances[0][:20])
    values = bank.to_dict()
    del values["descriptor"]  # what packages written before hold
    older = HandshapeBank.from_dict(values)
    assert older.descriptor == "frames-2d"
    clip = performances[0][21]
    assert bank.distance(clip) is not None
    assert older.distance(clip) == pytest.approx(bank.distance(clip), abs=1e-2)


def fitted_on_later_signers(performances, settings: EvaluationConfig) -> AcceptanceRule:
    """The rule `settings` fit, its handshapes from all but the first 16 performances."""
    sequences, signers = performances
    outputs = np.stack([probabilities(hello=0.9, thankyou=0.1),
                        probabilities(hello=0.1, thankyou=0.9)])
    labels = np.array([sign_to_index()["hello"], sign_to_index()["thankyou"]])
    return fitted_rule(settings, outputs, labels, ["hello", "thankyou"],
                       KnownSequences(sequences[16:], signers[16:]))


def test_the_evaluation_settings_choose_how_the_fitted_check_compares(performances):
    for descriptor in ("frames-2d", "clip-3d"):
        rule = fitted_on_later_signers(performances, EvaluationConfig(
            min_confidence=0.6, handshape_quantile=0.99, handshape_descriptor=descriptor))
        assert rule.handshape_bank.descriptor == descriptor
        clips = len(HandshapeBank.of(performances[0][16:], descriptor="clip-3d").shapes)
        assert (len(rule.handshape_bank.shapes) == clips) == (descriptor == "clip-3d")


def test_the_confidence_needed_rises_with_the_hands_distance_from_the_known_handshapes(
        performances, tmp_path):
    sequences, signers = performances
    bank, limit, _ = fit_limit(sequences[16:], signers[16:], 0.99)
    flat = AcceptanceRule(["hello", "thankyou"], min_confidence=0.55,
                          handshapes=bank.to_dict(), max_handshape_distance=limit)
    rising = replace(flat, handshape_weight=2.5)
    assert rising.needed_confidence(0.0) == 0.55
    assert flat.needed_confidence(limit) == flat.needed_confidence(None) == 0.55
    at_limit = 1 / (1 + np.exp(-(np.log(0.55 / 0.45) + 2.5)))
    assert rising.needed_confidence(limit) == pytest.approx(at_limit)
    # A hand the check could not measure gets no benefit of the doubt, unless told otherwise.
    assert rising.needed_confidence(None) == pytest.approx(at_limit)
    assert replace(rising, unmeasured_confidence=0.7).needed_confidence(None) == 0.7
    steps = [rising.needed_confidence(limit * share) for share in (0.2, 0.5, 0.8)]
    assert 0.55 < steps[0] < steps[1] < steps[2] < at_limit

    # An unseen signer's clip within the limit but well away from the known hands: an answer
    # sure enough for a familiar hand is not sure enough for this one.
    distance, clip = max((d, s) for s in sequences[:16]
                         if (d := bank.distance(s)) is not None and d <= limit)
    needed = rising.needed_confidence(distance)
    assert needed > 0.6
    between = probabilities(hello=(0.55 + needed) / 2, thankyou=1 - (0.55 + needed) / 2)
    signs = list(index_to_sign())
    assert flat.judge(between, clip, signs).accepted
    doubted = rising.judge(between, clip, signs)
    assert not doubted.accepted and f"accepts from {needed:.0%}" in doubted.reason
    assert "for a hand shaped this unlike the signs it knows" in doubted.reason
    surer = probabilities(hello=min(0.999, needed + 0.05), thankyou=max(0.001, 0.95 - needed))
    assert rising.judge(surer, clip, signs).accepted
    # The same clip with its hand in 2 frames: not measured, so it needs what the limit needs.
    glimpse = clip.copy()
    seen = np.flatnonzero(np.isfinite(glimpse[:, RIGHT]).all(axis=(1, 2)) | np.isfinite(
        glimpse[:, LEFT]).all(axis=(1, 2)))
    glimpse[seen[2:], RIGHT] = np.nan
    glimpse[seen[2:], LEFT] = np.nan
    assert bank.distance(glimpse) is None
    fair = probabilities(hello=0.8, thankyou=0.2)  # enough for a hand like the known ones
    assert flat.judge(fair, glimpse, signs).accepted
    unseen = rising.judge(fair, glimpse, signs)
    assert not unseen.accepted and "a hand whose shape could not be measured" in unseen.reason
    assert f"accepts from {at_limit:.0%}" in unseen.reason
    # Past the limit no confidence is enough, and the reason is the hand's shape.
    refused = rising.judge(probabilities(hello=0.999, thankyou=0.001), fist(clip), signs)
    assert not refused.accepted and "hand's shape" in refused.reason

    ModelPackage(b"tflite", signs, 32, rising).write(tmp_path)
    loaded = ModelPackage.read(tmp_path).acceptance
    assert loaded.handshape_weight == 2.5
    assert not loaded.judge(between, clip, signs).accepted
    assert f"rises with that distance: 55% for a hand shaped like the trained signs', " \
           f"{at_limit:.0%} at the limit. A hand whose shape could not be measured needs " \
           f"{at_limit:.0%}" in acceptance_text(loaded.summary())
    older = rising.to_dict()
    del older["handshape_weight"]  # packages written before the weight existed
    assert AcceptanceRule.from_dict(older).judge(between, clip, signs).accepted


def test_the_weight_is_fitted_into_the_rule_and_needs_the_handshape_check(performances):
    rule = fitted_on_later_signers(performances, EvaluationConfig(
        min_confidence=0.55, handshape_quantile=0.99, handshape_weight=2.5,
        unmeasured_confidence=0.7))
    assert rule.handshape_weight == 2.5 and rule.needed_confidence(None) == 0.7
    assert rule.needed_confidence(rule.max_handshape_distance) > 0.9
    with pytest.raises(ValueError, match="handshape_quantile"):
        EvaluationConfig(min_confidence=0.55, handshape_weight=2.5)


def test_the_console_says_how_the_confidence_needed_rises_and_where_the_limit_is(performances):
    from steps.evaluation.reporting import rule_lines

    rising = rule_lines(fitted_on_later_signers(performances, EvaluationConfig(
        min_confidence=0.62, handshape_quantile=0.99, handshape_scale=2, handshape_weight=1.0,
        unmeasured_confidence=0.7)))
    assert "from 62% confidence" in rising[0] and "rising to 82% at the handshape limit" in (
        rising[0]) and "70% for a hand whose shape cannot be measured" in rising[0]
    assert re.search(r"\(2 x the distance 99% of \d+ known-sign clips", rising[-1]), rising[-1]
    flat = rule_lines(fitted_on_later_signers(performances, EvaluationConfig(
        min_confidence=0.62, handshape_quantile=0.99)))
    assert "from 62% confidence (cross-validated)" in flat[0] and "rising" not in flat[0]
    assert "(99% of" in flat[-1] and " x the distance" not in flat[-1]
    fitted = rule_lines(fitted_on_later_signers(performances, EvaluationConfig(
        handshape_quantile=0.99, handshape_weight=1.0)))
    assert "temperature" in fitted[0] and "rising to" in fitted[0], fitted[0]
