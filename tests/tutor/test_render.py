"""Drawing: gaps filled, slow motion, forearms that reach the hands, the face's contours, clips
that browsers play, and the side-by-side replay."""

import importlib.util
from pathlib import Path

import av
import numpy as np
import pytest

from signbridge.data.files import read_landmark_file
from signbridge.tutor import render
from signbridge.tutor.render import (
    BACKGROUND,
    PART_START,
    fill_gaps,
    mirrored,
    render_clip,
    render_sequence,
    replay_clip,
    retime,
)
from tests.conftest import SAMPLE_ROOT

HELLO = SAMPLE_ROOT / "train_landmark_files/28656/3089866419.parquet"
LEFT = slice(PART_START["left_hand"], PART_START["left_hand"] + 21)


def synthetic(frames: int = 12) -> np.ndarray:
    """Fixed face, pose and right hand; the left hand moving to the right."""
    base = np.random.default_rng(0).uniform(0.3, 0.7, (543, 3)).astype(np.float32)
    marks = np.repeat(base[None], frames, axis=0)
    marks[:, LEFT, 0] += np.linspace(0, 0.1, frames, dtype=np.float32)[:, None]
    return marks


def decoded(path: Path) -> tuple[list[np.ndarray], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], float(
            stream.average_rate)


def test_fill_gaps_bridges_short_dropouts_only():
    marks = synthetic(20)
    original = marks.copy()
    marks[5:8, LEFT] = np.nan  # 3 frames: filled
    marks[11:17, LEFT] = np.nan  # 6 frames: longer than MAX_GAP, shown as missing
    marks[0:2, LEFT] = marks[19:, LEFT] = np.nan  # before the first and after the last sighting
    before = marks.copy()
    filled = fill_gaps(marks)
    np.testing.assert_array_equal(marks, before)  # the input is not changed
    np.testing.assert_allclose(filled[5:8, LEFT], original[5:8, LEFT], atol=1e-6)
    assert np.isnan(filled[11:17, LEFT]).all()
    assert np.isnan(filled[0:2, LEFT]).all() and np.isnan(filled[19:, LEFT]).all()


def test_half_speed_interpolates_and_never_blends_with_missing_parts():
    marks = synthetic(10)
    slow = retime(marks, 0.5)
    assert len(slow) == 20
    np.testing.assert_array_equal(slow[::2][:9], marks[:9])
    np.testing.assert_allclose(slow[1], (marks[0] + marks[1]) / 2, atol=1e-6)
    marks[3, LEFT] = np.nan
    slow = retime(marks, 0.5)
    assert np.isfinite(slow[4, LEFT]).all() and np.isnan(slow[6, LEFT]).all()


def test_the_forearm_reaches_the_hand_not_the_pose_wrist():
    marks = np.full((1, 543, 3), np.nan, np.float32)
    pose, hand = PART_START["pose"], PART_START["left_hand"]
    marks[0, pose + 11, :2], marks[0, pose + 12, :2] = (0.7, 0.7), (0.3, 0.7)  # shoulders
    marks[0, pose + 13, :2] = (0.65, 0.9)  # left elbow
    marks[0, pose + 15, :2] = (0.2, 0.85)  # the pose's wrist, far from the hand
    marks[0, hand:hand + 21, :2] = (0.45, 0.5)  # the hand's own wrist (a fist)
    frame = render_sequence(marks, (200, 200))[0].astype(int)
    scale, offset = render._framing(marks[..., :2] * [1, render.SOURCE_ASPECT], (200, 200))

    def drawn(x: float, y: float) -> bool:
        px, py = np.array([x, y * render.SOURCE_ASPECT]) * scale + offset
        return np.abs(frame[int(py), int(px)] - BACKGROUND).sum() > 60

    assert drawn(0.55, 0.7)  # midway from the elbow to the hand
    assert not drawn(0.425, 0.875)  # midway from the elbow to the pose's wrist


def test_face_contours_are_mediapipes():
    """Our chains give MediaPipe's oval, lips and eye edges (its source file is read, not
    imported: importing mediapipe pulls in TensorFlow)."""
    spec = importlib.util.find_spec("mediapipe")
    source = Path(spec.submodule_search_locations[0]) / "python/solutions/face_mesh_connections.py"
    module_spec = importlib.util.spec_from_file_location("face_mesh_connections", source)
    mp = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(mp)

    def edges(chain: tuple[int, ...]) -> set[frozenset[int]]:
        return {frozenset(pair) for pair in zip(chain, chain[1:] + chain[:1], strict=True)}

    def theirs(connections) -> set[frozenset[int]]:
        return {frozenset(pair) for pair in connections}

    contours = render.FACE_CONTOURS
    assert edges(contours["face_oval"]) == theirs(mp.FACEMESH_FACE_OVAL)
    assert edges(contours["lips_outer"]) | edges(contours["lips_inner"]) == theirs(mp.FACEMESH_LIPS)
    assert edges(contours["right_eye"]) == theirs(mp.FACEMESH_RIGHT_EYE)
    assert edges(contours["left_eye"]) == theirs(mp.FACEMESH_LEFT_EYE)
    assert theirs(mp.FACEMESH_RIGHT_EYEBROW) <= edges(contours["right_brow"])
    assert theirs(mp.FACEMESH_CONTOURS) <= set().union(*map(edges, contours.values()))


@pytest.mark.parametrize("speed", [1.0, 0.5])
def test_clips_play_at_the_source_rate_real_or_half_speed(tmp_path, speed):
    marks = read_landmark_file(HELLO)
    frames, fps = decoded(render_clip(marks, tmp_path / "hello.mp4", slow_motion=speed))
    assert round(fps) == 30 and len(frames) == round(len(marks) / speed)
    assert frames[0].shape == (432, 384, 3)
    drawn = np.abs(frames[0].astype(int) - np.array(BACKGROUND)).sum(axis=2) > 60
    assert 0.01 < drawn.mean() < 0.5


def test_replay_puts_the_learner_beside_the_reference_signing_on_one_side(tmp_path):
    reference = read_landmark_file(HELLO)  # signed with the right hand
    learner = mirrored(reference)[::2]  # the left hand, every other frame
    pairs = [(i // 2, i) for i in range(len(reference))]
    frames, _ = decoded(replay_clip(learner, reference, pairs, tmp_path / "replay.mp4",
                                    size=(160, 180)))
    assert len(frames) == len(pairs) and frames[0].shape[1] == 2 * 160 + 4
    # The reference is mirrored to the learner's hand: the two panels look alike.
    left, right = frames[10][:, :160].astype(int), frames[10][:, 164:].astype(int)
    assert np.abs(left - right).mean() < 12
    np.testing.assert_allclose(mirrored(mirrored(reference)), reference, atol=1e-6)
