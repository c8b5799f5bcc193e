"""One pick of reference performances serves the Learn tab's examples and the feedback."""

from signbridge.tutor.references import CLEAR_SHARE, FEEDBACK_REFERENCES, ReferenceLibrary, measure
from tests.conftest import SAMPLE_ROOT


def test_examples_are_clear_typical_and_from_different_signers(sample_references):
    for sign in ("hello", "thankyou"):
        examples = sample_references.for_examples(sign, 3)
        assert len({r.participant_id for r in examples}) == 3
        assert all(r.frames >= 20 and r.in_view >= CLEAR_SHARE * r.frames for r in examples)
    # Signer 18796 waves HELLO at the shoulder in every long take: never the example.
    hello = sample_references.ranked("hello")
    assert "18796" not in {r.participant_id for r in sample_references.for_examples("hello", 3)}
    assert [r.participant_id for r in hello].index("18796") >= len(hello) - 3


def test_feedback_references_are_the_most_typical_signers(sample_references):
    ranked = sample_references.ranked("thankyou")
    chosen = sample_references.for_feedback("thankyou")
    assert chosen == ranked[:FEEDBACK_REFERENCES]
    assert len({r.participant_id for r in chosen}) == FEEDBACK_REFERENCES
    assert [r.typicality for r in ranked] == sorted(r.typicality for r in ranked)
    assert "most typical" in ranked[0].reason


def test_a_sign_or_folder_without_data_has_no_references(tmp_path):
    assert ReferenceLibrary(SAMPLE_ROOT).ranked("zebra") == []
    assert ReferenceLibrary(tmp_path).signs() == [] and ReferenceLibrary(None).ranked("hello") == []


def test_measure_counts_dropouts_the_renderer_bridges():
    reference = measure(SAMPLE_ROOT / "train_landmark_files/22343/1246047068.parquet")
    # 60 frames, the left hand seen in 54 with dropouts of up to 5 frames: in view throughout.
    assert (reference.frames, reference.hand, reference.hand_frames) == (60, "left_hand", 54)
    assert reference.in_view == 60 and reference.longest_gap == 5
