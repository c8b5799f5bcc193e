"""Video decoding and MediaPipe Holistic on clips of a real person, odd formats and bad files."""

import av
import numpy as np
import pytest

from signbridge.data.files import read_landmark_file
from signbridge.data.landmarks import PART_START
from signbridge.errors import SignbridgeError
from signbridge.serving.video import VideoLimits, extract_landmarks, read_video
from signbridge.tutor.render import BACKGROUND, render_clip
from tests.clips import (
    audio_only_clip,
    damaged_data_clip,
    empty_scene_clip,
    foreign_metadata_clip,
    not_a_video,
    person_clip,
    still_image,
    truncated_video,
    unknown_codec_clip,
)

FACE = slice(PART_START["face"], PART_START["face"] + 468)
POSE = slice(PART_START["pose"], PART_START["pose"] + 33)
HANDS = [slice(PART_START[h], PART_START[h] + 21) for h in ("left_hand", "right_hand")]


def empty_file(path):
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="module")
def person(tmp_path_factory):
    return person_clip(tmp_path_factory.mktemp("video") / "person.mp4", seconds=1.0, fps=24)


def test_person_gives_competition_landmarks(person):
    result = extract_landmarks(person, VideoLimits(max_frames=12))
    assert result.landmarks.shape == (12, 543, 3) and result.landmarks.dtype == np.float32
    assert np.isfinite(result.landmarks[:, FACE]).all(axis=(1, 2)).mean() > 0.8
    assert np.isfinite(result.landmarks[:, POSE]).all(axis=(1, 2)).mean() > 0.8
    assert all(np.isnan(result.landmarks[:, hand]).all() for hand in HANDS)  # no hands in photo
    assert result.frames_with_person >= 10 and result.frames_with_hands == 0
    assert set(result.timings) == {"decode", "landmarks"}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("webcam.webm", {"codec": "libvpx-vp9", "container": "webm", "audio": True}),
        ("phone.mov", {"codec": "libx264", "container": "mov"}),
        ("with_audio.mp4", {"audio": True}),
        ("small.mp4", {"size": (160, 120)}),
        ("large.mp4", {"size": (1280, 720), "fps": 60}),
    ],
)
def test_containers_codecs_and_sizes_decode(tmp_path, name, options):
    clip = person_clip(tmp_path / name, seconds=0.5, **{"fps": 24, **options})
    video = read_video(clip, VideoLimits(max_frames=8))
    assert 1 <= len(video.frames) <= 8
    assert max(video.frames[0].shape[:2]) <= 640 and video.frames[0].shape[2] == 3


def test_foreign_metadata_does_not_refuse_a_playable_video(tmp_path, person):
    clip = foreign_metadata_clip(tmp_path / "latin1-tags.mp4", person)
    with pytest.raises(UnicodeDecodeError):  # what a strict reader does with these tags
        av.open(str(clip)).close()
    video = read_video(clip, VideoLimits(max_frames=8))
    assert len(video.frames) == 8


def test_frames_are_subsampled_evenly(tmp_path):
    clip = person_clip(tmp_path / "long.mp4", seconds=2.0, fps=30, size=(320, 240))
    video = read_video(clip, VideoLimits(max_frames=10))
    assert video.decoded_frames == 60 and len(video.frames) == 10


@pytest.mark.parametrize(
    ("make", "limits", "message"),
    [
        (lambda d, p: empty_scene_clip(d / "empty.mp4"), VideoLimits(), "no person found"),
        (lambda d, p: not_a_video(d / "notes.mp4"), VideoLimits(), "not a video file"),
        (lambda d, p: truncated_video(d / "cut.mp4", p), VideoLimits(), "damaged video file"),
        (lambda d, p: damaged_data_clip(d / "noise.mp4"), VideoLimits(), "damaged video data"),
        (lambda d, p: audio_only_clip(d / "voice.m4a"), VideoLimits(), "no video stream"),
        (lambda d, p: unknown_codec_clip(d / "odd.avi"), VideoLimits(), "cannot decode this codec"),
        (lambda d, p: still_image(d / "photo.jpg"), VideoLimits(), "still image"),
        (lambda d, p: empty_file(d / "zero.mp4"), VideoLimits(), "file is empty"),
        (lambda d, p: d / "missing.mp4", VideoLimits(), "file not found"),
        (lambda d, p: p, VideoLimits(max_bytes=10_000), "upload limit"),
        (lambda d, p: p, VideoLimits(max_seconds=0.2), "over the 0 s limit"),
    ],
)
def test_bad_videos_get_a_clear_error_naming_the_file(tmp_path, person, make, limits, message):
    path = make(tmp_path, person)
    with pytest.raises(SignbridgeError, match=message) as caught:
        extract_landmarks(path, limits)
    assert str(path) in str(caught.value)


def test_rendered_clip_is_h264_and_shows_the_signer(tmp_path, sample_files):
    sequence = read_landmark_file(sample_files[0])
    clip = render_clip(sequence, tmp_path / "hello.mp4")
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == len(sequence)
    drawn = np.abs(frames[0].astype(int) - np.array(BACKGROUND)).sum(axis=2) > 60
    assert 0.001 < drawn.mean() < 0.5
