"""Invariants of the preprocessing layer on real and edge-case sequences."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from signbridge.config import PreprocessConfig
from signbridge.data.landmarks import (
    FACE_GROUP_MIRRORS,
    FACE_GROUPS,
    PART_START,
    POSE_UPPER_BODY,
    POSE_WRISTS,
    FeatureLayout,
    cached_part_slices,
    part_rows,
    pose_mirror_permutation,
)
from signbridge.model.preprocessing import preprocess_sequences

MAX_FRAMES = 32
CONFIG = PreprocessConfig(max_frames=MAX_FRAMES)
WITH_FACE = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True,
                             groups=["lips", "eyes", "nose"], depth=True)
WITH_SHAPE = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True,
                              depth=True, hand_shape=True)


def mirror(frames: np.ndarray) -> np.ndarray:
    """The same signing seen in a mirror: x flipped, left/right hands and body sides swapped."""
    mirrored = frames.copy()
    mirrored[..., 0] = 1.0 - frames[..., 0]
    left, right = part_rows("left_hand"), part_rows("right_hand")
    mirrored[:, left], mirrored[:, right] = mirrored[:, right].copy(), mirrored[:, left].copy()
    pose = PART_START["pose"] + POSE_UPPER_BODY
    mirrored[:, pose] = mirrored[:, pose[pose_mirror_permutation()]]
    for group, points in FACE_GROUPS.items():
        rows = PART_START["face"] + np.array(points)
        mirrored[:, rows] = mirrored[:, rows[list(FACE_GROUP_MIRRORS[group])]]
    return mirrored


@pytest.mark.parametrize("config", [CONFIG, WITH_FACE, WITH_SHAPE],
                         ids=["core", "face-groups-depth", "hand-shape"])
def test_mirrored_signing_gives_the_same_features(sample_dataset, config):
    for i in range(0, len(sample_dataset), 25):
        frames = sample_dataset.sequence(i)
        (original, mask), (flipped, flipped_mask) = (
            preprocess_sequences([frames], config),
            preprocess_sequences([mirror(frames)], config),
        )
        np.testing.assert_allclose(original, flipped, atol=1e-5)
        np.testing.assert_array_equal(mask, flipped_mask)


def test_face_group_mirrors_pair_each_point_with_its_mirror_image(sample_dataset):
    """On the real faces of the sample, a group's points flipped left to right land on their
    partners: the mirror tables are right, not merely a permutation."""
    faces = sample_dataset.frames[:, PART_START["face"]:PART_START["face"] + 468, :2]
    faces = faces[np.isfinite(faces).all(axis=(1, 2))][::5].astype(np.float64)
    faces = faces - faces.mean(axis=1, keepdims=True)
    faces /= np.linalg.norm(faces, axis=(1, 2), keepdims=True)
    for group, points in FACE_GROUPS.items():
        order = list(FACE_GROUP_MIRRORS[group])
        assert [order[k] for k in order] == list(range(len(points)))  # each pair swaps back
        shape = faces[:, list(points)].mean(axis=0)  # the group's average shape
        flipped = shape * np.array([-1.0, 1.0])
        flipped += shape.mean(axis=0) - flipped.mean(axis=0)
        # The one-to-one pairing that puts flipped points closest to the original ones.
        distances = np.linalg.norm(flipped[:, None] - shape[None], axis=-1)
        _, best = linear_sum_assignment(distances)
        assert best.tolist() == order, group


def test_face_groups_and_depth_add_points_and_channels():
    assert FeatureLayout().points == 65 and FeatureLayout().channels == 4
    layout = WITH_FACE.layout()
    assert (layout.points, layout.channels) == (65 + 40 + 32 + 11, 6)
    assert FeatureLayout(("nose", "lips")).groups == ("lips", "nose")  # canonical order
    features, _ = preprocess_sequences(
        [np.random.default_rng(0).random((20, 543, 3), dtype=np.float32)], WITH_FACE)
    assert features.shape == (1, MAX_FRAMES, layout.points, 6)
    with pytest.raises(ValueError, match="unknown landmark group"):
        FeatureLayout(("ears",))


def test_dominant_hand_always_lands_in_the_right_hand_slot(sample_dataset):
    hands = cached_part_slices()
    features, _ = preprocess_sequences(
        [sample_dataset.sequence(i) for i in range(20)], CONFIG
    )
    for feature, sequence in zip(features, (sample_dataset.sequence(i) for i in range(20)),
                                 strict=True):
        left_seen = np.isfinite(sequence[:, part_rows("left_hand"), 0]).any(1).sum()
        right_seen = np.isfinite(sequence[:, part_rows("right_hand"), 0]).any(1).sum()
        dominant = np.abs(feature[:, hands["right_hand"]]).sum()
        other = np.abs(feature[:, hands["left_hand"]]).sum()
        if left_seen != right_seen:
            assert dominant >= other


@pytest.mark.parametrize("frames", [1, 2, 31, 32, 33, 600])
def test_any_length_gives_fixed_shape_and_mask(frames):
    sequence = np.random.default_rng(frames).random((frames, 543, 3), dtype=np.float32)
    features, masks = preprocess_sequences([sequence], CONFIG)
    assert features.shape == (1, MAX_FRAMES, 65, 4)
    assert np.isfinite(features).all()
    assert masks[0].sum() == min(frames, MAX_FRAMES)
    assert (features[0][masks[0] == 0] == 0).all()


def test_nan_only_parts_become_zero_not_nan(sample_dataset):
    sequence = sample_dataset.sequence(0).copy()
    sequence[:, part_rows("left_hand")] = np.nan
    sequence[:, part_rows("right_hand")] = np.nan
    features, masks = preprocess_sequences([sequence], CONFIG)
    hands = cached_part_slices()
    assert np.isfinite(features).all()
    assert masks[0].sum() == min(len(sequence), MAX_FRAMES)  # no hands anywhere: keep every frame
    assert not features[0][:, hands["left_hand"]].any()
    assert not features[0][:, hands["right_hand"]].any()
    assert features[0][:, hands["pose"]].any()


def test_all_nan_sequence_is_finite():
    features, masks = preprocess_sequences([np.full((5, 543, 3), np.nan, np.float32)], CONFIG)
    assert np.isfinite(features).all() and masks[0].sum() == 5 and not features.any()


def test_normalisation_removes_position_and_scale(sample_dataset):
    sequence = sample_dataset.sequence(3)
    moved = sequence.copy()
    moved[..., :2] = moved[..., :2] * 0.5 + 0.2
    (original, _), (shifted, _) = (
        preprocess_sequences([sequence], CONFIG),
        preprocess_sequences([moved], CONFIG),
    )
    np.testing.assert_allclose(original, shifted, atol=1e-4)


@pytest.mark.parametrize("anchor", ["points", "shoulders"])
def test_both_anchors_remove_position_and_scale(sample_dataset, anchor):
    config = PreprocessConfig(max_frames=MAX_FRAMES, anchor=anchor)
    sequence = sample_dataset.sequence(7)
    moved = sequence.copy()
    moved[..., :2] = moved[..., :2] * 0.6 + 0.15
    np.testing.assert_allclose(preprocess_sequences([sequence], config)[0],
                               preprocess_sequences([moved], config)[0], atol=1e-4)


def test_aspect_correction_undoes_another_cameras_aspect_ratio(sample_dataset):
    """The same signing filmed landscape instead of portrait: y units shrink against x."""
    sequence = sample_dataset.sequence(11)
    landscape = sequence.copy()
    landscape[..., 1] = 0.5 + (landscape[..., 1] - 0.5) * 0.4
    corrected = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True)
    plain = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=False)
    np.testing.assert_allclose(preprocess_sequences([sequence], corrected)[0],
                               preprocess_sequences([landscape], corrected)[0], atol=1e-3)
    assert not np.allclose(preprocess_sequences([sequence], plain)[0],
                           preprocess_sequences([landscape], plain)[0], atol=1e-2)


def test_hand_shape_is_the_same_wherever_and_however_large_the_hand_is(sample_dataset):
    """The shape parts see the hand from its wrist at its own size: moved to another place and
    drawn larger, the hand's shape features stay; its position features do not."""
    layout = WITH_SHAPE.layout()
    assert (layout.points, layout.channels) == (65 + 2 * 21, 6)
    slices = layout.slices()
    sequence = sample_dataset.sequence(5)
    moved = sequence.copy()
    for hand in ("left_hand", "right_hand"):
        rows = part_rows(hand)
        wrist = moved[:, rows[:1], :2]
        moved[:, rows, :2] = wrist + 0.3 + (moved[:, rows, :2] - wrist) * 1.5
        moved[:, rows, 2] *= 1.5
    (original, _), (changed, _) = (preprocess_sequences([sequence], WITH_SHAPE),
                                   preprocess_sequences([moved], WITH_SHAPE))
    for hand in ("left_hand_shape", "right_hand_shape"):
        np.testing.assert_allclose(original[0, :, slices[hand]], changed[0, :, slices[hand]],
                                   atol=1e-4)
    assert original[0, :, slices["right_hand_shape"]].any()
    assert not np.allclose(original[0, :, slices["right_hand"]],
                           changed[0, :, slices["right_hand"]], atol=1e-2)


def turned_hands(sequence: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """`sequence` with each hand turned about its wrist by `rotation` (2x2 for x, y; 3x3 with z)."""
    turned = sequence.copy()
    size = rotation.shape[0]
    for hand in ("left_hand", "right_hand"):
        rows = part_rows(hand)
        wrist = turned[:, rows[:1], :size]
        turned[:, rows, :size] = wrist + (turned[:, rows, :size] - wrist) @ rotation.T
    return turned


@pytest.mark.parametrize("depth", [True, False])
def test_in_the_palm_frame_a_turned_hand_has_the_same_shape(sample_dataset, depth):
    """`hand_frame="palm"` (and "bones", in that frame): a hand turned about its wrist (in space
    with depth, in the picture without) keeps its shape features; seen from the wrist as the
    camera sees it, it does not."""
    from scipy.spatial.transform import Rotation

    # 0.6 radians about a slanted axis in space, or in the picture's plane.
    rotation = Rotation.from_rotvec(0.6 * np.array([1.0, 2.0, 0.5]) / np.linalg.norm(
        [1.0, 2.0, 0.5]) if depth else [0.0, 0.0, 0.6]).as_matrix()
    rotation = rotation if depth else rotation[:2, :2]
    sequence = sample_dataset.sequence(5)
    turned = turned_hands(sequence, rotation.astype(np.float32))
    for frame, same in (("palm", True), ("bones", True), ("wrist", False)):
        config = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", depth=depth,
                                  hand_shape=True, hand_frame=frame)
        shape = config.layout().slices()["right_hand_shape"]
        (original, _), (changed, _) = (preprocess_sequences([sequence], config),
                                       preprocess_sequences([turned], config))
        assert original[0, :, shape].any()
        assert np.allclose(original[0, :, shape], changed[0, :, shape], atol=1e-4) == same, frame


def test_as_bones_a_hand_with_longer_fingers_has_the_same_shape(sample_dataset):
    """`hand_frame="bones"`: fingers tracked longer (each finger's outer bones stretched along
    themselves, as the detector places another signer's joints) leave the shape features as
    they were; in the palm frame, where the points keep their distances, they change them."""
    longer = sample_dataset.sequence(5).copy()
    for hand in ("left_hand", "right_hand"):
        rows = part_rows(hand)
        for finger in range(5):
            first = 1 + 4 * finger  # the finger's bone from the wrist keeps its length
            base = longer[:, rows[first]].copy()
            longer[:, rows[first + 1:first + 4]] = (
                base[:, None] + 1.4 * (longer[:, rows[first + 1:first + 4]] - base[:, None]))
    for frame, same in (("bones", True), ("palm", False)):
        config = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", depth=True,
                                  hand_shape=True, hand_frame=frame)
        shape = config.layout().slices()["right_hand_shape"]
        (original, _), (changed, _) = (preprocess_sequences([sample_dataset.sequence(5)], config),
                                       preprocess_sequences([longer], config))
        assert original[0, :, shape].any()
        assert np.allclose(original[0, :, shape], changed[0, :, shape], atol=1e-4) == same, frame


def test_a_spread_hand_changes_the_shape_features(sample_dataset):
    """Fingers fanned apart (a 5-hand instead of a flat hand) are plain in the shape parts."""
    import tensorflow as tf

    from signbridge.data.landmarks import cached_rows, expand_cached_rows
    from signbridge.model.counterexamples import CHANGES

    sequence = sample_dataset.sequence(5)
    spread = expand_cached_rows(CHANGES["spread"](tf.constant(sequence[:, cached_rows()])).numpy())
    (original, _), (changed, _) = (preprocess_sequences([sequence], WITH_SHAPE),
                                   preprocess_sequences([spread], WITH_SHAPE))
    shape = WITH_SHAPE.layout().slices()["right_hand_shape"]
    position = WITH_SHAPE.layout().slices()["right_hand"]
    shape_change = np.abs(original[0, :, shape, :2] - changed[0, :, shape, :2]).mean()
    position_change = np.abs(original[0, :, position, :2] - changed[0, :, position, :2]).mean()
    assert shape_change > 3 * position_change > 0


def test_short_hand_gaps_are_filled_along_a_straight_line():
    """Runs of at most `most` missed frames between two seen ones are filled on the line between
    them; longer runs and the runs before the first or after the last seen frame are not."""
    import tensorflow as tf

    from signbridge.model.preprocessing import fill_gaps

    part = np.full((10, 2, 3), np.nan, np.float32)
    for frame, value in ((1, 1.0), (4, 4.0), (5, 5.0), (8, 20.0)):
        part[frame] = value
    filled = fill_gaps(tf.constant(part), 2).numpy()[:, 0, 0]
    np.testing.assert_allclose(filled, [np.nan, 1, 2, 3, 4, 5, 10, 15, 20, np.nan])
    assert np.isnan(fill_gaps(tf.constant(part), 1).numpy()[[2, 3, 6, 7]]).all()


def _one_right_hand(sample_dataset) -> tuple[np.ndarray, np.ndarray]:
    """20 frames of a real sequence with no left hand and one right hand, held still and seen
    in every frame, and that hand's rows."""
    original = next(sequence for i in range(len(sample_dataset))
                    if len(sequence := sample_dataset.sequence(i)) >= 20)
    rows = part_rows("right_hand")
    hand = original[np.flatnonzero(np.isfinite(original[:, rows[0], 0]))[0], rows]
    sequence = original[:20].copy()
    sequence[:, part_rows("left_hand")] = np.nan
    sequence[:, rows] = hand
    return sequence, rows


def test_a_hand_missed_on_its_way_gives_the_features_of_the_hand_seen(sample_dataset):
    """A hand moving in a straight line over a few frames, missed there by the detector: with
    `fill_hand_gaps` the features are those of the sequence where it was seen; without, not."""
    filling = WITH_SHAPE.model_copy(update={"fill_hand_gaps": 3})
    sequence, rows = _one_right_hand(sample_dataset)  # moving straight in 5-8
    sequence[:, rows, :2] += 0.01 * np.clip(np.arange(20) - 4, 0, 4)[:, None, None]
    missed = sequence.copy()
    missed[6:8, rows] = np.nan
    (seen, _), (filled, _), (unfilled, _) = (
        preprocess_sequences([sequence], filling), preprocess_sequences([missed], filling),
        preprocess_sequences([missed], WITH_SHAPE))
    np.testing.assert_allclose(filled, seen, atol=1e-5)
    assert not np.allclose(unfilled, seen, atol=1e-3)


def test_a_guide_bends_the_fill_away_from_the_straight_line():
    """With a guide, a filled frame moves by as much as the guide strays from its own line there
    (x and y only); where the guide is NaN the fill stays on the line."""
    import tensorflow as tf

    from signbridge.model.preprocessing import fill_gaps

    part = np.full((5, 1, 3), np.nan, np.float32)
    part[0], part[4] = 0.0, 4.0
    guide = np.stack([np.arange(5.0), np.arange(5.0)], axis=1).astype(np.float32)
    guide[2] += [0.5, -1.0]  # strays from its line in frame 2
    guide[3] = np.nan
    filled = fill_gaps(tf.constant(part), 3, tf.constant(guide)).numpy()[:, 0]
    np.testing.assert_allclose(filled, [[0, 0, 0], [1, 1, 1], [2.5, 1, 2], [3, 3, 3], [4, 4, 4]])


def test_a_hand_lost_on_a_curved_path_is_found_along_the_pose_wrist(sample_dataset):
    """A hand moving on a curve, missed for 8 frames while the pose's wrist follows it: filled
    along the pose, the features are those of the sequence where it was seen; along the
    straight line, they are not."""
    along_pose = WITH_SHAPE.model_copy(update={"fill_hand_gaps": 10, "fill_along": "pose"})
    along_line = WITH_SHAPE.model_copy(update={"fill_hand_gaps": 10})
    sequence, rows = _one_right_hand(sample_dataset)
    wrist = PART_START["pose"] + POSE_WRISTS["right_hand"]
    path = 0.05 * np.sin(np.linspace(0, np.pi, 20))  # up and back down: not a straight line
    sequence[:, wrist, :2] = sequence[0, rows[0], :2] + [0.01, 0.02]  # near the hand's wrist
    sequence[:, rows, 1] -= path[:, None]
    sequence[:, wrist, 1] -= path
    missed = sequence.copy()
    missed[6:14, rows] = np.nan
    (seen, _), (by_pose, _), (by_line, _) = (
        preprocess_sequences([sequence], along_pose), preprocess_sequences([missed], along_pose),
        preprocess_sequences([missed], along_line))
    np.testing.assert_allclose(by_pose, seen, atol=1e-5)
    assert not np.allclose(by_line, seen, atol=1e-3)


@pytest.mark.parametrize("frames", [1, 6, 31])
def test_short_sequences_stretch_over_every_frame_in_order(sample_dataset, frames):
    """With `stretch_short`, a short sequence fills all `max_frames`: each of its frames in
    order, repeated evenly, instead of being padded."""
    stretching = CONFIG.model_copy(update={"stretch_short": True})
    sequence = next(s for i in range(len(sample_dataset))
                    if len(s := sample_dataset.sequence(i)) >= frames)[:frames]
    (padded, padded_mask), (stretched, stretched_mask) = (
        preprocess_sequences([sequence], CONFIG), preprocess_sequences([sequence], stretching))
    kept = int(padded_mask[0].sum())  # frames left once those without hands are dropped
    assert stretched_mask[0].all()
    positions = padded[0, :kept, :, :2]
    shown = [int(np.argmin(np.abs(positions - frame[None, :, :2]).sum(axis=(1, 2))))
             for frame in stretched[0]]
    np.testing.assert_allclose(stretched[0, :, :, :2], positions[shown], atol=1e-6)
    assert shown == sorted(shown) and set(shown) == set(range(kept))


def test_the_layer_keeps_its_hand_frame_when_saved_and_loaded():
    """A saved model reloads with the hand frame it was trained with; older layers, saved before
    the setting existed, see the hand from its wrist as before."""
    from signbridge.model.preprocessing import LandmarkPreprocessing, preprocessing_layer

    layer = preprocessing_layer(PreprocessConfig(hand_shape=True, hand_frame="palm"))
    assert LandmarkPreprocessing.from_config(layer.get_config()).hand_frame == "palm"
    older = {key: value for key, value in layer.get_config().items() if key != "hand_frame"}
    assert LandmarkPreprocessing.from_config(older).hand_frame == "wrist"


def test_the_palm_frame_without_hand_shape_parts_is_refused():
    """The palm frame only turns the hand-shape parts: asked for without them, the config says so
    instead of training a model that silently ignores it."""
    import pydantic

    for frame in ("palm", "bones"):
        with pytest.raises(pydantic.ValidationError, match="hand_shape"):
            PreprocessConfig(hand_frame=frame)
