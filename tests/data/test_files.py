"""Loading real competition files, rejecting damaged ones with a reason, splitting by signer."""

import re

import numpy as np
import pandas as pd
import pytest

from signbridge.data.files import (
    dataset_fingerprint,
    load_sequences,
    read_index,
    read_landmark_file,
    split_signers,
)
from signbridge.errors import LandmarkFileError, SignbridgeError
from tests.conftest import SAMPLE_ROOT
from tests.parquet_files import landmark_frame, write


def test_real_sample_loads_with_competition_shape(sample_dataset):
    assert len(sample_dataset) == 269
    assert sample_dataset.frames.shape[1:] == (543, 3)
    lengths = np.diff(sample_dataset.offsets)
    assert lengths.min() >= 1 and lengths.sum() == len(sample_dataset.frames)
    assert len(set(sample_dataset.participant_ids)) == 17


def test_real_file_matches_pandas_reshape(sample_files):
    path = sample_files[0]
    table = pd.read_parquet(path)
    expected = table[["x", "y", "z"]].to_numpy(np.float32).reshape(-1, 543, 3)
    np.testing.assert_array_equal(read_landmark_file(path), expected)
    # left hand rows of frame 0 sit at 468..488
    assert (table.iloc[468:489]["type"] == "left_hand").all()


def test_file_from_another_tool_is_accepted(tmp_path, sample_files):
    frames = read_landmark_file(sample_files[1])
    table = landmark_frame(frames, first_frame=1, frame_dtype=np.int64).drop(columns="row_id")
    path = write(table.sample(frac=1.0, random_state=0), tmp_path / "other_tool.parquet")
    np.testing.assert_array_equal(read_landmark_file(path), frames)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda t: t.drop(columns="x"), r"missing column\(s\) x"),
        (lambda t: t.iloc[:-5], "not a whole number"),
        (lambda t: t.iloc[:0], "no frames"),
        (lambda t: t.assign(type=t["type"].replace("pose", "torso")), "unknown landmark type"),
        (lambda t: t.assign(landmark_index=t["landmark_index"] + 1), "frames do not each hold"),
    ],
)
def test_damaged_tables_are_rejected_with_reason(tmp_path, damage, reason):
    table = damage(landmark_frame(np.random.default_rng(0).random((3, 543, 3))))
    path = write(table, tmp_path / "damaged.parquet")
    with pytest.raises(LandmarkFileError, match=reason) as caught:
        read_landmark_file(path)
    assert str(path) in str(caught.value)


def test_not_parquet_and_truncated_files_are_rejected(tmp_path, sample_files):
    text = tmp_path / "notes.parquet"
    text.write_text("hello")
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(sample_files[0].read_bytes()[:2000])
    for path in (text, truncated, tmp_path / "missing.parquet"):
        with pytest.raises(LandmarkFileError, match=re.escape(str(path))):
            read_landmark_file(path)


def test_bad_rows_are_skipped_and_reported_not_fatal(tmp_path, sample_files):
    good = write(landmark_frame(read_landmark_file(sample_files[0])), tmp_path / "a/1.parquet")
    corrupt = tmp_path / "a/2.parquet"
    corrupt.write_bytes(b"PAR1 garbage")
    index = pd.DataFrame({
        "path": [str(good), str(corrupt), str(tmp_path / "a/3.parquet"), str(good)],
        "participant_id": ["1", "1", "1", "1"],
        "sequence_id": ["1", "2", "3", "4"],
        "sign": ["hello", "hello", "hello", "not-a-sign"],
    })
    result = load_sequences(index)
    assert len(result.dataset) == 1
    reasons = {r.path: r.reason for r in result.rejections}
    assert "not a readable parquet" in reasons[str(corrupt)]
    assert reasons[str(tmp_path / "a/3.parquet")] == "file not found"
    assert "unknown sign 'not-a-sign'" in reasons[str(good)]


def test_index_requires_competition_layout(tmp_path):
    with pytest.raises(SignbridgeError, match="train.csv"):
        read_index(tmp_path)
    assert read_index(SAMPLE_ROOT)["path"].str.startswith(str(SAMPLE_ROOT)).all()


def test_split_keeps_each_signer_in_one_split(sample_dataset):
    split = split_signers(sample_dataset.participant_ids, 2, 1, seed=3)
    groups = [set(split.train), set(split.validation), set(split.evaluation)]
    assert [len(g) for g in groups] == [14, 1, 2]
    assert set.union(*groups) == set(sample_dataset.participant_ids)
    assert sum(len(g) for g in groups) == len(set.union(*groups))
    explicit = split_signers(sample_dataset.participant_ids, ["2044"], ["4718"], seed=0)
    assert explicit.evaluation == ["2044"] and explicit.validation == ["4718"]
    with pytest.raises(SignbridgeError, match="none for training"):
        split_signers(sample_dataset.participant_ids, 15, 2, seed=0)


def test_fingerprint_changes_with_data(sample_dataset):
    first, second = sample_dataset.subset([0, 1]), sample_dataset.subset([0, 2])
    assert dataset_fingerprint(first) == dataset_fingerprint(sample_dataset.subset([0, 1]))
    assert dataset_fingerprint(first) != dataset_fingerprint(second)
