"""The cluster path: validate (offline) and register a Kubernetes + S3 + remote-MLflow stack, and
validate the settings for serving the app with a Kubernetes or Hugging Face Spaces deployer.

    python -m mlops.cluster validate [--stack configs/cluster/stack.yaml]
                                      [--settings configs/cluster/settings.yaml]
    python -m mlops.cluster validate-serving [--serving configs/cluster/serving.yaml]
    python -m mlops.cluster register [--stack configs/cluster/stack.yaml]

`validate` checks every component configuration against its ZenML flavor's schema and the step
settings (Docker image and requirements, resources, Kubernetes pod settings) against ZenML's
settings classes; it needs no cluster. `register` creates the components and the stack in the
active ZenML store; running on it then needs the cluster, the bucket, the registry and the
`kubernetes`/`s3` integrations' packages (docs/CLUSTER.md).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from signbridge import workspace
from signbridge.config import PROJECT_ROOT
from signbridge.errors import SignbridgeError


def _flavors() -> dict[tuple[str, str], type]:
    from zenml.container_registries import DefaultContainerRegistryFlavor
    from zenml.image_builders import LocalImageBuilderFlavor
    from zenml.integrations.kubernetes.flavors import KubernetesOrchestratorFlavor
    from zenml.integrations.mlflow.flavors import MLFlowExperimentTrackerFlavor
    from zenml.integrations.s3.flavors import S3ArtifactStoreFlavor

    return {
        ("orchestrator", "kubernetes"): KubernetesOrchestratorFlavor,
        ("artifact_store", "s3"): S3ArtifactStoreFlavor,
        ("experiment_tracker", "mlflow"): MLFlowExperimentTrackerFlavor,
        ("container_registry", "default"): DefaultContainerRegistryFlavor,
        ("image_builder", "local"): LocalImageBuilderFlavor,
    }


def _settings_classes() -> dict[str, type]:
    from zenml.config import DockerSettings, ResourceSettings
    from zenml.integrations.kubernetes.flavors import KubernetesOrchestratorSettings

    return {"docker": DockerSettings, "resources": ResourceSettings,
            "orchestrator.kubernetes": KubernetesOrchestratorSettings}


def validate(stack_file: Path, settings_file: Path | None) -> list[str]:
    """Problems found (empty when the definitions are valid)."""
    problems = []
    stack = yaml.safe_load(stack_file.read_text())
    from zenml.exceptions import ZenMLBaseException

    flavors = _flavors()
    for kind, component in stack.get("components", {}).items():
        flavor = flavors.get((kind, component.get("flavor")))
        if flavor is None:
            problems.append(f"{kind}: flavor '{component.get('flavor')}' is not one this "
                            f"project validates ({sorted(f for _, f in flavors)})")
            continue
        try:
            flavor().config_class(**_without_secrets(component.get("configuration", {})))
        except (ValidationError, ValueError, ZenMLBaseException) as error:
            problems.append(f"{kind} '{component.get('name')}': {error}")
    missing = {"orchestrator", "artifact_store"} - set(stack.get("components", {}))
    problems += [f"missing component: {kind}" for kind in sorted(missing)]
    if settings_file:
        settings = yaml.safe_load(settings_file.read_text())
        problems += _validate_settings("pipeline", settings.get("settings", {}))
        for step, options in settings.get("steps", {}).items():
            problems += _validate_settings(f"step {step}", options.get("settings", {}))
        requirements = settings.get("settings", {}).get("docker", {}).get("requirements")
        if isinstance(requirements, str) and not (PROJECT_ROOT / requirements).is_file():
            problems.append(f"docker requirements file {requirements} not found")
    return problems


SECRET_REFERENCE = re.compile(r"^\{\{\s*[\w-]+\.[\w-]+\s*\}\}$")


def _without_secrets(configuration: dict) -> dict:
    """Secret references (`{{secret.key}}`) replaced by a stand-in: resolving them needs the
    secret store of the real deployment, and their syntax is all that can be checked here."""
    return {key: "stand-in" if isinstance(value, str) and SECRET_REFERENCE.match(value) else value
            for key, value in configuration.items()}


def _validate_settings(where: str, settings: dict) -> list[str]:
    classes = _settings_classes()
    problems = []
    for key, values in settings.items():
        if key not in classes:
            problems.append(f"{where}: unknown settings key '{key}'")
            continue
        try:
            classes[key](**values)
        except ValidationError as error:
            problems.append(f"{where}: {key}: {error}")
        except ImportError as error:  # e.g. pod tolerations need the `kubernetes` package
            print(f"note: {where}: {key} not checkable offline ({error})", file=sys.stderr)
    return problems


def _deployer_classes() -> dict[str, tuple[type, type]]:
    """Deployer flavor -> (component config class, deployment settings class); these import
    without the flavors' client packages."""
    from zenml.integrations.huggingface.flavors.huggingface_deployer_flavor import (
        HuggingFaceDeployerFlavor,
        HuggingFaceDeployerSettings,
    )
    from zenml.integrations.kubernetes.flavors.kubernetes_deployer_flavor import (
        KubernetesDeployerFlavor,
        KubernetesDeployerSettings,
    )

    return {"kubernetes": (KubernetesDeployerFlavor().config_class, KubernetesDeployerSettings),
            "huggingface": (HuggingFaceDeployerFlavor().config_class, HuggingFaceDeployerSettings)}


def validate_serving(serving_file: Path) -> list[str]:
    """Problems in the serving targets (empty when valid). ZenML's settings accept unknown keys
    silently and Spaces hardware as any string, so both are checked here too."""
    from huggingface_hub import SpaceHardware
    from zenml.config import ResourceSettings

    problems = []
    classes = _deployer_classes()
    for target, spec in yaml.safe_load(serving_file.read_text()).items():
        deployer = spec.get("deployer", {})
        flavor = deployer.get("flavor")
        if flavor not in classes:
            problems.append(f"{target}: deployer flavor '{flavor}' is not one of {sorted(classes)}")
            continue
        config_class, settings_class = classes[flavor]
        checks = [("deployer configuration", config_class,
                   _without_secrets(deployer.get("configuration", {}))),
                  ("settings.deployer", settings_class, spec.get("settings", {}).get("deployer", {})),
                  ("settings.resources", ResourceSettings,
                   spec.get("settings", {}).get("resources", {}))]
        for where, settings_type, values in checks:
            unknown = sorted(set(values) - set(settings_type.model_json_schema()["properties"]))
            if unknown:
                problems.append(f"{target}: {where}: unknown key(s) {unknown}")
            try:
                settings_type(**values)
            except (ValidationError, ValueError) as error:
                problems.append(f"{target}: {where}: {error}")
        hardware = spec.get("settings", {}).get("deployer", {}).get("space_hardware")
        if hardware and hardware not in {h.value for h in SpaceHardware}:
            problems.append(f"{target}: space_hardware '{hardware}' is not a Spaces hardware "
                            "name (e.g. cpu-basic, cpu-upgrade, t4-small)")
    return problems


def serving_settings(serving_file: Path, target: str) -> dict:
    """The `settings:` of one serving target, for `run_pipeline.py serve --target`."""
    targets = yaml.safe_load(serving_file.read_text())
    if target not in targets:
        raise SignbridgeError(f"{serving_file}: no serving target '{target}' "
                              f"(there are: {', '.join(targets)})")
    problems = validate_serving(serving_file)
    if problems:
        raise SignbridgeError(f"{serving_file}: {problems[0]}")
    return targets[target].get("settings", {})


def merge_settings(config: dict, extra: dict) -> dict:
    """A pipeline config with the `settings:` and per-step `settings` of `extra` merged in."""
    merged = {**config, "settings": {**config.get("settings", {}), **extra.get("settings", {})}}
    steps = {name: dict(options) for name, options in config.get("steps", {}).items()}
    for step, options in extra.get("steps", {}).items():
        current = steps.setdefault(step, {})
        current["settings"] = {**current.get("settings", {}), **options.get("settings", {})}
    if steps:
        merged["steps"] = steps
    return merged


def register(stack_file: Path) -> str:
    """Create the stack's components (reused if they exist) and the stack; returns its name."""
    from zenml.client import Client
    from zenml.enums import StackComponentType

    stack = yaml.safe_load(stack_file.read_text())
    client = Client()
    components = {}
    for kind, component in stack["components"].items():
        component_type = StackComponentType(kind)
        if client.list_stack_components(type=component_type, name=component["name"]).total == 0:
            client.create_stack_component(component["name"], component["flavor"],
                                          component_type, component.get("configuration", {}))
        components[component_type] = component["name"]
    if client.list_stacks(name=stack["stack"]).total == 0:
        client.create_stack(stack["stack"], components=components)
    return stack["stack"]


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("command", choices=["validate", "validate-serving", "register"])
    cli.add_argument("--stack", type=Path, default=PROJECT_ROOT / "configs/cluster/stack.yaml")
    cli.add_argument("--settings", type=Path,
                     default=PROJECT_ROOT / "configs/cluster/settings.yaml")
    cli.add_argument("--serving", type=Path, default=PROJECT_ROOT / "configs/cluster/serving.yaml")
    args = cli.parse_args(argv)
    workspace.configure_environment()
    if args.command == "validate-serving":
        problems = validate_serving(args.serving)
        for problem in problems:
            print(f"invalid: {problem}", file=sys.stderr)
        print(f"{args.serving}: {'valid' if not problems else f'{len(problems)} problem(s)'}")
        return 1 if problems else 0
    if args.command == "validate":
        problems = validate(args.stack, args.settings)
        for problem in problems:
            print(f"invalid: {problem}", file=sys.stderr)
        print(f"{args.stack} and {args.settings}: "
              f"{'valid' if not problems else f'{len(problems)} problem(s)'}")
        return 1 if problems else 0
    try:
        print(f"registered stack {register(args.stack)}; activate: zenml stack set ...")
    except SignbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
