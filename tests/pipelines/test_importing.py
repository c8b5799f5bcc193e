"""Importing a model trained elsewhere, end to end on the real stack: a competition-contract
`.tflite` becomes a new model version with its evaluation on the held-out signers, `export` and
`predict` use it, and the deployment gate takes it as its candidate; bad files are refused with one
line and register nothing."""

import json
import re
import subprocess
import sys

import pytest

from tests import tflite_models
from tests.conftest import SAMPLE_ROOT, cli_json, isolated_env, parse_json_lines, run_cli

pytestmark = pytest.mark.slow

IMPORTED = re.compile(r"as signbridge-asl version (\d+) \(MLflow registry; ZenML model version "
                      r"(\d+)\): top-1 [0-9.]+ on 64 held-out sequences")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("import")
    model = tflite_models.contract_model(folder / "their_model.tflite")
    labels = folder / "sign_to_prediction_index_map.json"
    labels.write_text((SAMPLE_ROOT.parent.parent / "signbridge" / "resources"
                       / labels.name).read_text())
    home = folder / "home"
    result = run_cli("import-model", str(model), "--labels", str(labels), home=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-4000:]
    return home, model, result.stdout


def test_import_prints_the_new_version_number(imported):
    _, _, stdout = imported
    found = IMPORTED.search(stdout)
    assert found and found.groups() == ("1", "1"), stdout[-1500:]
    assert "export --version 1" in stdout


def test_bad_files_are_refused_in_one_line_and_register_nothing(imported, tmp_path):
    home, model, _ = imported
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(model.read_bytes()[:5000])
    nan_model = tflite_models.nan_model(tmp_path / "nan.tflite")
    ten_signs = tmp_path / "ten_signs.json"
    ten_signs.write_text(json.dumps(["TV", "after", "airplane", "all", "alligator", "animal",
                                     "another", "any", "apple", "arm"]))
    for args, reason in [
        ((str(truncated),), "damaged TFLite file, truncated or corrupted"),
        ((str(nan_model),), "returns NaN when a body part is missing"),
        ((str(model), "--labels", str(ten_signs)), "10 signs; the model has 250 outputs"),
    ]:
        result = run_cli("import-model", *args, home=home)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.returncode == 1 and len(errors) == 1, result.stderr[-2000:]
        assert reason in errors[0] and errors[0].endswith("nothing was registered")
        assert "Traceback" not in result.stderr
    # Still one version: the gate check below sees the imported model and nothing else.


def test_export_and_predict_use_the_imported_package(imported, tmp_path):
    home, model, _ = imported
    result = run_cli("export", "--version", "1", "--out", str(tmp_path / "out"), home=home)
    assert result.returncode == 0, result.stderr[-3000:]
    assert cli_json(result)["source"] == "imported"
    assert (tmp_path / "out" / "model.tflite").read_bytes() == model.read_bytes()
    package = json.loads((tmp_path / "out" / "package.json").read_text())
    assert package["source"] == "imported" and package["outputs"] == "probabilities"
    assert len(package["acceptance"]["known_signs"]) == 250
    # Its threshold is fitted here, not the sample recipe's fixed one.
    assert "fixed" not in package["acceptance"]["fitted_on"]
    assert package["metrics"]["evaluation_sequences"] == 64
    card = (tmp_path / "out" / "MODEL_CARD.md").read_text()
    assert "(imported)" in card and "their_model.tflite" in card and "sha256" in card

    # The video path is the same for every package (tests/model/test_export.py); a landmark file here.
    parquet = sorted((SAMPLE_ROOT / "train_landmark_files" / "2044").glob("*.parquet"))[0]
    result = run_cli("predict", "--model", str(tmp_path / "out"), str(parquet), home=home)
    assert result.returncode == 0, result.stderr[-3000:]
    (answer,) = parse_json_lines(result.stdout)
    assert answer["frames"] > 0 and (answer["accepted"] or answer["reason"])


def test_the_deployment_gate_takes_the_import_as_its_candidate(imported):
    home, _, _ = imported
    script = (
        "from signbridge import workspace; workspace.configure_environment();"
        "from mlops import registry;"
        "from signbridge.model.promotion import decide;"
        "candidate = registry.candidate('signbridge-asl');"
        "package = registry.package_of(candidate);"
        "decision = decide(package.classifier(), candidate.number, None, None,"
        " candidate.get_artifact('evaluation_set').load());"
        "versions = registry._client().search_model_versions(\"name = 'signbridge-asl'\");"
        "import json; print(json.dumps({'number': candidate.number, 'source': package.source,"
        " 'fingerprint': candidate.run_metadata['evaluation_fingerprint'],"
        " 'mlflow_versions': [v.version for v in versions],"
        " 'decision': decision.as_dict()}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300, env=isolated_env(home))
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["number"] == 1 and found["source"] == "imported"
    assert [str(v) for v in found["mlflow_versions"]] == ["1"]  # the refused files registered nothing
    decision = found["decision"]
    assert decision["promote"] and decision["candidate_version"] == 1
    assert decision["evaluation_fingerprint"] == found["fingerprint"]
    assert decision["evaluation_sequences"] == 64
