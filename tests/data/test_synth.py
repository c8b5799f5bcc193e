"""Synthetic competition-layout data: loadable, marked synthetic, shaped like the full set."""

import numpy as np

from signbridge.data.files import load_sequences, read_index
from signbridge.data.synth import generate


def test_synthetic_folder_has_the_competition_layout(tmp_path, sample_dataset):
    out = generate(sample_dataset, 63, tmp_path / "synth", seed=3)
    assert "SYNTHETIC" in (out / "SYNTHETIC.md").read_text()
    index = read_index(out)
    assert len(index) == 63 and index["participant_id"].nunique() == 21
    assert index["sign"].nunique() == 63  # signs cycle through the 250 names
    result = load_sequences(index)
    assert result.rejections == [] and len(result.dataset) == 63
    lengths = np.diff(result.dataset.offsets)
    assert lengths.min() >= 4 and lengths.max() <= 400
    again = generate(sample_dataset, 63, tmp_path / "synth", seed=3)  # resumable, same listing
    assert read_index(again).equals(index)
