"""Feedback against reference performances, measured on held-out signers of the sample and on
clips from another source (asl-app-100)."""

from pathlib import Path

import numpy as np
import pytest

from signbridge.data.files import read_landmark_file
from signbridge.errors import SignbridgeError
from signbridge.tutor.evaluation import held_out_comparisons, own_sign_scores_higher, told
from signbridge.tutor.feedback import feedback_for
from tests.conftest import SAMPLE_ROOT

OTHER_SOURCE = Path("/work/shared/data/asl-app-100/train_landmark_files/90001")
# One signer of each kind: two that mirror each other's hands, a low signer, a fast one.
HELD_OUT = ("22343", "28656", "4718", "55372")


def test_held_out_signers_score_higher_on_their_own_sign_and_hear_about_location():
    records = held_out_comparisons(SAMPLE_ROOT, HELD_OUT)
    assert {r["signer"] for r in records} == set(HELD_OUT)
    assert own_sign_scores_higher(records) >= 0.9
    assert told(records, "thankyou", "hello", "forehead") >= 0.9
    assert all(0 <= r["similarity"] <= 100 and r["feedback"] for r in records)


@pytest.mark.skipif(not OTHER_SOURCE.is_dir(), reason="asl-app-100 not available")
def test_clips_from_another_source_rank_right_and_name_the_location(sample_references):
    scores = {}
    for clip, sign in (("129", "hello"), ("176", "thankyou")):
        landmarks = read_landmark_file(OTHER_SOURCE / f"{clip}.parquet")
        for reference_sign in ("hello", "thankyou"):
            comparison, _ = feedback_for(landmarks, reference_sign, sample_references, 29.97)
            scores[sign, reference_sign] = comparison
    assert scores["hello", "hello"].similarity > scores["hello", "thankyou"].similarity
    assert scores["thankyou", "thankyou"].similarity > scores["thankyou", "hello"].similarity
    location = [s for s, t in zip(scores["thankyou", "hello"].feedback,
                                  scores["thankyou", "hello"].topics, strict=True)
                if t == "location"]
    assert any("chin" in s and "forehead" in s for s in location), location


def test_missing_sign_data_or_hands_get_a_sentence(sample_references):
    landmarks = read_landmark_file(SAMPLE_ROOT / "train_landmark_files/28656/3089866419.parquet")
    comparison, references = feedback_for(landmarks, "hello", sample_references)
    assert comparison.similarity > 90 and len(references) == 5
    assert all(0 <= i < len(landmarks) for i, _ in comparison.replay)
    with pytest.raises(SignbridgeError, match="no reference performance of 'call on phone'"):
        feedback_for(landmarks, "callonphone", sample_references)
    with pytest.raises(SignbridgeError, match="not one of the 250 signs"):
        feedback_for(landmarks, "hellooo", sample_references)
    no_hands = landmarks.copy()
    no_hands[:, 468:489] = no_hands[:, 522:543] = np.nan
    with pytest.raises(SignbridgeError, match="no hand was seen"):
        feedback_for(no_hands, "hello", sample_references)
