"""`run_pipeline.py feedback`: JSON for a landmark file, one line on stderr for a bad sign."""

import json
import subprocess
import sys

from signbridge.config import PROJECT_ROOT
from tests.conftest import SAMPLE_ROOT, isolated_env

THANKYOU = SAMPLE_ROOT / "train_landmark_files/34503/1380751820.parquet"
# Runs the CLI's main in a fresh interpreter and checks it did not import TensorFlow.
WITHOUT_TENSORFLOW = ("import sys, run_pipeline; code = run_pipeline.main(sys.argv[1:]); "
                      "assert 'tensorflow' not in sys.modules, 'TensorFlow imported'; "
                      "sys.exit(code)")


def feedback(*args: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_TENSORFLOW, "feedback", *args],
                          cwd=PROJECT_ROOT, env=isolated_env(tmp_path), capture_output=True,
                          text=True, timeout=120)


def test_feedback_on_a_landmark_file_prints_json(tmp_path):
    result = feedback(str(THANKYOU), "--sign", "hello", "--references", str(SAMPLE_ROOT),
                      "--replay", str(tmp_path / "replay.mp4"), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert out["sign"] == "hello" and 0 <= out["similarity"] < 50
    assert any("starts at" in s and "forehead" in s for s in out["feedback"]), out["feedback"]
    assert len(out["references"]) == 5 and out["replay"]
    assert (tmp_path / "replay.mp4").stat().st_size > 10_000


def test_feedback_on_a_sign_that_does_not_exist_says_so(tmp_path):
    result = feedback(str(THANKYOU), "--sign", "thank yu", tmp_path=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == "error: 'thank yu' is not one of the 250 signs"
