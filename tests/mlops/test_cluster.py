"""The cluster stack definitions validate offline, and broken ones are caught."""

import yaml

from mlops.cluster import merge_settings, validate, validate_serving
from signbridge.config import PROJECT_ROOT

STACK = PROJECT_ROOT / "configs/cluster/stack.yaml"
SETTINGS = PROJECT_ROOT / "configs/cluster/settings.yaml"


def test_cluster_stack_and_settings_validate():
    assert validate(STACK, SETTINGS) == []
    settings = yaml.safe_load(SETTINGS.read_text())
    assert settings["steps"]["train_model"]["settings"]["resources"]["gpu_count"] == 1
    requirements = (PROJECT_ROOT / settings["settings"]["docker"]["requirements"]).read_text()
    assert "tensorflow==2.19.1" in requirements and "zenml==0.98.0" in requirements


def test_broken_definitions_are_reported(tmp_path):
    stack = yaml.safe_load(STACK.read_text())
    stack["components"]["artifact_store"]["configuration"]["path"] = "not-a-bucket"
    del stack["components"]["orchestrator"]
    broken = tmp_path / "stack.yaml"
    broken.write_text(yaml.safe_dump(stack))
    settings = yaml.safe_load(SETTINGS.read_text())
    settings["steps"]["train_model"]["settings"]["resources"]["gpu_count"] = "lots"
    settings["settings"]["tpu"] = {}
    broken_settings = tmp_path / "settings.yaml"
    broken_settings.write_text(yaml.safe_dump(settings))
    problems = "\n".join(validate(broken, broken_settings))
    assert "artifact_store" in problems and "missing component: orchestrator" in problems
    assert "resources" in problems and "unknown settings key 'tpu'" in problems


def test_cluster_settings_merge_into_a_training_config():
    config = yaml.safe_load((PROJECT_ROOT / "configs/train_full.yaml").read_text())
    merged = merge_settings(config, yaml.safe_load(SETTINGS.read_text()))
    assert merged["parameters"] == config["parameters"] and merged["model"] == config["model"]
    assert merged["steps"]["train_model"]["settings"]["resources"]["gpu_count"] == 1
    assert merged["settings"]["docker"]["parent_image"].endswith("-gpu")
    assert "steps" not in config  # the original is left alone


SERVING = PROJECT_ROOT / "configs/cluster/serving.yaml"


def test_serving_targets_validate_offline_and_typos_are_caught(tmp_path):
    assert validate_serving(SERVING) == []
    targets = yaml.safe_load(SERVING.read_text())
    assert targets["kubernetes"]["settings"]["resources"]["min_replicas"] >= 1
    assert targets["kubernetes"]["settings"]["deployer"]["readiness_probe_path"] == "/health"
    targets["kubernetes"]["settings"]["deployer"]["replicas"] = 3  # not a deployer setting
    targets["kubernetes"]["settings"]["deployer"]["readiness_probe_path"] = "health"
    targets["kubernetes"]["settings"]["resources"]["memory"] = "4 gigs"
    targets["huggingface"]["settings"]["deployer"]["space_hardware"] = "quantum-xl"
    broken = tmp_path / "serving.yaml"
    broken.write_text(yaml.safe_dump(targets))
    problems = "\n".join(validate_serving(broken))
    assert "unknown key(s) ['replicas']" in problems
    assert "readiness_probe_path" in problems and "settings.resources" in problems
    assert "space_hardware 'quantum-xl'" in problems
