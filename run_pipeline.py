#!/usr/bin/env python
"""signbridge command line.

    python run_pipeline.py train --config configs/train_sample.yaml   # training (resumes if killed)
    python run_pipeline.py deploy --config configs/deploy.yaml        # promote + serve the app
    python run_pipeline.py serve | stop | status                      # the app service
    python run_pipeline.py export --out exported/ [--version N]      # a model package (TFLite ...)
    python run_pipeline.py import-model FILE.tflite [--labels L]      # a model trained elsewhere
    python run_pipeline.py predict FILE...                            # top-10 + accepted, per file
    python run_pipeline.py feedback CLIP --sign SIGN                  # compare with a reference
    python run_pipeline.py crossval [--folds 17]                      # leave-signers-out accuracy
    python run_pipeline.py synth --sequences N --out DIR              # synthetic data (benchmarks)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

from signbridge.config import DEFAULT_DEPLOY_CONFIG, DEFAULT_TRAINING_CONFIG  # noqa: E402
from signbridge.errors import SignbridgeError  # noqa: E402


def train(args: argparse.Namespace) -> None:
    """Run the training pipeline once per config, all runs in one MLflow experiment, tagged."""
    import uuid

    from signbridge.config import load_training_config
    from signbridge.console import import_tensorflow

    configs = [_existing(path) for path in args.config or ["configs/train_sample.yaml"]]
    parameters = {config: load_training_config(config) for config in configs}  # fail early
    import_tensorflow()
    _stack()
    from zenml.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import (
        MLFlowExperimentTrackerSettings,
    )

    from pipelines.training import training_pipeline

    experiment_id = workspace.ensure_mlflow_experiment(
        args.experiment, "Training runs of the sign classifier; compare runs whose "
        "`evaluation_fingerprint` tags match (same held-out data).")
    for config in configs:
        run_name = f"{config.stem}-{uuid.uuid4().hex[:6]}"
        tracking = MLFlowExperimentTrackerSettings(experiment_name=args.experiment, tags={
            "config": config.stem, "config_path": str(config), "git_commit": _git_commit(),
            "mlflow.note.content": _describe(config, parameters[config])})
        print(f"\n=== {run_name}: training with {config} (MLflow experiment "
              f"'{args.experiment}') ===", flush=True)
        run_config = _run_config(config, _existing(args.settings) if args.settings else None,
                                 args.fresh)
        try:
            run = _run(training_pipeline.with_options(
                config_path=str(run_config), run_name=run_name,
                settings={"experiment_tracker": tracking}))
        finally:
            if run_config != config:
                run_config.unlink(missing_ok=True)
        _print_training_summary(run, experiment_id)
    _warn_if_not_comparable(args.experiment)
    print(f"\nMLflow UI:  {workspace.mlflow_ui_command()}\n  then open "
          f"{workspace.mlflow_ui_url(experiment_id)}")


def _describe(config: Path, parameters) -> str:
    """The MLflow run's description (shown at the top of the run page)."""
    return (f"Trained with `{config}` on `{parameters.data.root}`: "
            f"{parameters.network.num_blocks} transformer block(s) of width "
            f"{parameters.network.width}, {parameters.preprocess.max_frames} frames, "
            f"{parameters.split.evaluation_signers} held-out signer(s).")


def _print_training_summary(run, experiment_id: str) -> None:
    import mlflow

    from signbridge.model.evaluation import summary_lines

    metrics = run.steps["evaluate_model"].outputs["evaluation_metrics"][0].load()
    lines = summary_lines(metrics)
    client = mlflow.MlflowClient(workspace.mlflow_tracking_uri())
    found = client.search_runs([experiment_id], f"attributes.run_name = '{run.name}'")
    link = workspace.mlflow_ui_url(experiment_id, found[0].info.run_id) if found else ""
    print("\n".join(["", f"Run {run.name}:", *[f"  {line}" for line in lines],
                     f"  MLflow run: {link}"]))


def _warn_if_not_comparable(experiment: str) -> None:
    """Say so when the experiment's runs were evaluated on different held-out data."""
    import mlflow

    client = mlflow.MlflowClient(workspace.mlflow_tracking_uri())
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id], max_results=200) if found else []
    fingerprints = {r.data.tags.get("evaluation_fingerprint") for r in runs} - {None}
    if len(fingerprints) > 1:
        print(f"\nNote: the runs in '{experiment}' were evaluated on {len(fingerprints)} different "
              "held-out sets (tag evaluation_fingerprint); compare their eval/ figures only "
              "between runs with the same fingerprint.")


def _run_config(config: Path, settings: Path | None, fresh: bool) -> Path:
    """The config as run: with a settings file merged in and `--fresh` applied, as a temp copy
    (removed after the run); the file itself when there is neither."""
    import tempfile

    import yaml

    from mlops.cluster import merge_settings

    if settings is None and not fresh:
        return config
    merged = yaml.safe_load(config.read_text())
    if settings is not None:
        merged = merge_settings(merged, yaml.safe_load(settings.read_text()))
    if fresh:
        merged.setdefault("parameters", {}).setdefault("training", {})["resume"] = False
    with tempfile.NamedTemporaryFile("w", suffix=f"-{config.stem}.yaml", delete=False) as handle:
        yaml.safe_dump(merged, handle)
    return Path(handle.name)


def _git_commit() -> str:
    import subprocess

    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=Path(__file__).parent)
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True,
                           cwd=Path(__file__).parent).stdout.strip()
    commit = result.stdout.strip() or "unknown"
    return f"{commit}-dirty" if dirty and commit != "unknown" else commit


def deploy(args: argparse.Namespace) -> None:
    """Run the deployment pipeline: promote if better, then serve production as a deployment."""
    config = _existing(args.config)
    _stack()
    from pipelines.deployment import deployment_pipeline

    run = _run(deployment_pipeline.with_options(config_path=str(config)))
    decision = run.steps["promote_if_better"].outputs["promotion_decision"][0].load()
    verdict = "promoted" if decision["promote"] else "not promoted"
    print(f"\nModel version {decision['candidate_version']} {verdict}: {decision['reason']}")
    _print_service()


def serve(args: argparse.Namespace) -> None:
    """Deploy the app on the production model (newest if none is promoted yet)."""
    from signbridge.config import load_deploy_config, model_name

    _stack()
    from mlops import registry, service

    version = registry.find(model_name(args.config))
    registry.load_package(version)
    target = None
    if args.target:
        from mlops.cluster import serving_settings

        target = serving_settings(_existing(args.serving), args.target)
    service.deploy(version.name, version.version, str(registry.package_dir(version)),
                   load_deploy_config(args.config).app, target)
    _print_service()


def stop(args: argparse.Namespace) -> None:
    from mlops import service

    print("app stopped" if service.stop() else "app was not running")


def status(args: argparse.Namespace) -> int:
    from mlops import service

    state = service.status()
    print(json.dumps(state, indent=1))
    return 0 if state.get("healthy") else 3


def _stack() -> None:
    """The project's ZenML stack, created on first use; fails fast on a dead MLflow server."""
    workspace.check_tracking_server()
    from mlops.console import quiet_known_noise
    from mlops.stack import ensure_local_stack

    ensure_local_stack()
    quiet_known_noise()


def _print_service() -> None:
    from mlops import service

    state = service.status()
    if state.get("healthy"):
        print(f"App (model version {state['model_version']}): {state['url']}")
        print(f"API: {state['url']}/docs")
        print(f"Logs: {workspace.zenml_command('deployment logs ' + str(state['name']))}")
        print(f"Stop: {workspace.uv_run('python run_pipeline.py stop')}")
    print(f"MLflow UI:  {workspace.mlflow_ui_command()}")


def export(args: argparse.Namespace) -> None:
    """Write a registered model's package (production, else newest, or `--version N`)."""
    from mlops import registry
    from signbridge.config import model_name

    version = registry.find(model_name(args.config), args.version)
    package = registry.load_package(version)
    out = package.write(args.out)
    print(json.dumps({
        "model": version.name,
        "version": version.version,
        "aliases": version.aliases,
        "package": str(out),
        "source": package.source,
        "max_frames": package.max_frames,
        "known_signs": package.known_signs,
    }, indent=1))


def import_model(args: argparse.Namespace) -> None:
    """Register a competition-contract `.tflite` trained elsewhere as a new model version,
    evaluated on the config's held-out signers; print its version number."""
    import functools

    from signbridge.config import load_training_config, model_name, read_yaml
    from signbridge.console import filter_native_noise
    from signbridge.data.files import read_index
    from signbridge.serving.contract import check_model_file

    filter_native_noise()  # the TFLite runtime announces itself on the model's first answer
    config_path = _existing(args.config)
    config = load_training_config(config_path)
    name = model_name(config_path)
    # Everything is checked before anything is registered, so a refusal leaves no trace.
    try:
        if args.max_frames < 1:
            raise SignbridgeError(f"--max-frames {args.max_frames}: must be at least 1")
        check_model_file(args.file, args.labels)
        read_index(config.data.resolved_root())
    except SignbridgeError as error:
        raise SignbridgeError(f"{error}; nothing was registered") from error

    _stack()
    from zenml import Model
    from zenml.integrations.mlflow.flavors.mlflow_experiment_tracker_flavor import (
        MLFlowExperimentTrackerSettings,
    )

    from mlops import registry
    from pipelines.importing import importing_pipeline

    described = read_yaml(config_path).get("model") or {}
    model = Model(**{**described, "tags": [*described.get("tags", []), "imported"]})
    tracking = MLFlowExperimentTrackerSettings(experiment_name=args.experiment, tags={
        "config": config_path.stem, "source": "imported", "imported_from": Path(args.file).name,
        "git_commit": _git_commit()})
    run = _run(functools.partial(
        importing_pipeline.with_options(model=model, settings={"experiment_tracker": tracking}),
        model_file=str(Path(args.file).resolve()),
        labels_file=str(Path(args.labels).resolve()) if args.labels else None,
        max_frames=args.max_frames, data=config.data, split=config.split,
        evaluation=config.evaluation,
    ))
    from zenml.client import Client

    zenml_version = Client().get_model_version(name, run.model_version.id)
    version = registry.mlflow_version(zenml_version)
    metrics = zenml_version.run_metadata.get("evaluation", {})
    print(f"\nImported {args.file} as {name} version {version} (MLflow registry; ZenML model "
          f"version {zenml_version.number}): top-1 {metrics.get('top1_accuracy', float('nan')):.4f} "
          f"on {int(metrics.get('evaluation_sequences', 0))} held-out sequences")
    print(f"Export: {workspace.uv_run(f'python run_pipeline.py export --version {version}')} "
          "--out exported/")
    print(f"Compare with production: {workspace.uv_run('python run_pipeline.py deploy')}")


def predict(args: argparse.Namespace) -> int:
    """One JSON line per file: top-10 among the known signs, accepted or not and why; exit 1 if
    any file could not be read."""
    from signbridge.console import filter_native_noise
    from signbridge.serving.package import ModelPackage
    from signbridge.serving.predict import predict_files
    from signbridge.serving.recognition import Recogniser

    filter_native_noise()  # MediaPipe logs on the first person it sees
    if args.model:
        package = ModelPackage.read(args.model)
    else:
        from mlops import registry
        from signbridge.config import model_name

        package = registry.load_package(registry.find(model_name(args.config)))
    failures = 0
    for result in predict_files(Recogniser(package), args.files):
        failures += "error" in result
        print(json.dumps(result), flush=True)
    return 1 if failures else 0


def feedback(args: argparse.Namespace) -> None:
    """Compare a clip (a video or a landmark .parquet file) with the reference performances of a
    sign: JSON with the similarity (0-100), feedback sentences and the time-aligned frame pairs.
    Imports no TensorFlow for .parquet files (MediaPipe, for videos, brings its own)."""
    from signbridge.config import load_deploy_config
    from signbridge.data.files import read_landmark_file
    from signbridge.tutor.feedback import feedback_for
    from signbridge.tutor.names import readable, resolve
    from signbridge.tutor.references import ReferenceLibrary
    from signbridge.tutor.render import SOURCE_ASPECT, replay_clip
    from signbridge.tutor.trajectory import SOURCE_FPS

    sign = resolve(args.sign, exact=True)
    if sign is None:
        raise SignbridgeError(f"'{args.sign}' is not one of the 250 signs")
    settings = load_deploy_config(args.config).app
    root = Path(args.references) if args.references else settings.resolved(
        settings.tutorial_data_root)
    if args.clip.lower().endswith(".parquet"):
        landmarks, fps, aspect = read_landmark_file(args.clip), SOURCE_FPS, SOURCE_ASPECT
    else:
        from signbridge.serving.video import VideoLimits, extract_landmarks

        extracted = extract_landmarks(args.clip, VideoLimits(
            max_bytes=int(settings.max_upload_mb * 1_000_000),
            max_seconds=settings.max_video_seconds))
        landmarks, fps = extracted.landmarks, extracted.video.sampled_fps
        aspect = extracted.video.aspect
    comparison, references = feedback_for(landmarks, sign, ReferenceLibrary(root), fps)
    out = {"sign": sign, "name": readable(sign), **comparison.to_dict(),
           "references": [{"participant_id": r.participant_id, "sequence_id": r.sequence_id}
                          for r in references]}
    if args.replay:
        best = references[comparison.best_reference]
        out["replay_video"] = str(replay_clip(landmarks, best.landmarks(), comparison.replay,
                                              args.replay, learner_aspect=aspect))
    print(json.dumps(out, indent=1))


def crossval(args: argparse.Namespace) -> None:
    """Leave-signers-out cross-validation of a training config; a table per fold, mean, worst."""
    from signbridge.console import import_tensorflow

    import_tensorflow()
    from mlops.crossval import run_cross_validation

    run_cross_validation(_existing(args.config), args.data, args.folds, args.experiment)


def synth(args: argparse.Namespace) -> None:
    """Write a synthetic competition-layout folder from perturbed sample sequences."""
    from tqdm import tqdm

    from signbridge.config import PROJECT_ROOT
    from signbridge.data.files import load_sequences, read_index
    from signbridge.data.synth import generate

    source = load_sequences(read_index(PROJECT_ROOT / "data" / "sample")).dataset
    out = generate(source, args.sequences, Path(args.out), args.seed,
                   progress=lambda items: tqdm(items, desc="sequences", mininterval=2))
    print(f"{args.sequences} SYNTHETIC sequences in {out} (for scale tests only, see SYNTHETIC.md)")


def _run(pipeline):
    """Run a pipeline; a step that failed on bad user input is reported as that input's error."""
    try:
        return pipeline()
    except RuntimeError as error:
        message = _failed_step_error()
        if message:
            raise SignbridgeError(message) from error
        raise


def _failed_step_error() -> str | None:
    """`step: message` of the newest run's step that raised a SignbridgeError, if any."""
    from zenml.client import Client
    from zenml.enums import ExecutionStatus

    runs = Client().list_pipeline_runs(sort_by="desc:created", size=1, hydrate=True)
    for name, step in (runs.items[0].steps.items() if runs.items else []):
        info = step.exception_info
        if step.status == ExecutionStatus.FAILED and info and "signbridge" in (info.source or ""):
            last_line = info.traceback.strip().splitlines()[-1]
            return f"step {name} failed: {last_line.split(': ', 1)[-1]}"
    return None


def _existing(path: str) -> Path:
    if not Path(path).is_file():
        raise SignbridgeError(f"{path}: config file not found")
    return Path(path)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = cli.add_subparsers(dest="command", required=True)

    train_cli = commands.add_parser("train", help="run the training pipeline (once per --config)")
    train_cli.add_argument("--config", action="append", help="YAML config; repeat to compare "
                           "several in one experiment (default: configs/train_sample.yaml)")
    train_cli.add_argument("--experiment", default="signbridge-training",
                           help="MLflow experiment the runs are grouped in")
    train_cli.add_argument("--settings", default=None,
                           help="extra ZenML settings (e.g. configs/cluster/settings.yaml)")
    train_cli.add_argument("--fresh", action="store_true",
                           help="train from scratch even if a killed run of the same config left "
                           "a checkpoint (by default it resumes from it)")
    train_cli.set_defaults(handler=train)

    export_cli = commands.add_parser("export", help="write a registered model package")
    export_cli.add_argument("--out", required=True, help="output folder")
    export_cli.add_argument("--version", default=None,
                            help="registry version (default: production, else the newest)")
    export_cli.add_argument("--config", default=str(DEFAULT_DEPLOY_CONFIG),
                            help="config whose model.name names the model")
    export_cli.set_defaults(handler=export)

    import_cli = commands.add_parser(
        "import-model", help="register a competition-contract .tflite trained elsewhere")
    import_cli.add_argument("file", help="the .tflite model (signature serving_default, inputs "
                            "[n, 543, 3] -> outputs [250])")
    import_cli.add_argument("--labels", default=None, help="its labels (index -> sign, sign -> "
                            "index, or a list); must be the competition's order")
    import_cli.add_argument("--config", default=str(DEFAULT_TRAINING_CONFIG),
                            help="training config whose data/split evaluate it and whose "
                            "model.name it joins")
    import_cli.add_argument("--max-frames", type=int, default=32,
                            help="frames sampled from a video for this model")
    import_cli.add_argument("--experiment", default="signbridge-training",
                            help="MLflow experiment the import run is logged in")
    import_cli.set_defaults(handler=import_model)

    crossval_cli = commands.add_parser(
        "crossval", help="leave-signers-out cross-validation of a training config")
    crossval_cli.add_argument("--config", default="configs/train_sample.yaml")
    crossval_cli.add_argument("--data", default=None,
                              help="competition-layout folder (default: the config's data.root)")
    crossval_cli.add_argument("--folds", type=int, default=17,
                              help="groups of held-out signers (17 = one signer per fold)")
    crossval_cli.add_argument("--experiment", default="signbridge-crossval")
    crossval_cli.set_defaults(handler=crossval)

    deploy_cli = commands.add_parser("deploy", help="run the deployment pipeline")
    deploy_cli.add_argument("--config", default="configs/deploy.yaml")
    deploy_cli.set_defaults(handler=deploy)

    serve_cli = commands.add_parser("serve", help="start the app in the background")
    serve_cli.add_argument("--config", default="configs/deploy.yaml")
    serve_cli.add_argument("--target", default=None,
                           help="serve with another deployer: a target in --serving "
                           "(kubernetes, huggingface); default: the local deployer")
    serve_cli.add_argument("--serving", default="configs/cluster/serving.yaml")
    serve_cli.set_defaults(handler=serve)
    commands.add_parser("stop", help="stop the app").set_defaults(handler=stop)
    commands.add_parser("status", help="is the app up? (exit 0 if healthy)").set_defaults(
        handler=status)

    synth_cli = commands.add_parser("synth", help="synthetic competition-layout data")
    synth_cli.add_argument("--sequences", type=int, required=True)
    synth_cli.add_argument("--out", required=True)
    synth_cli.add_argument("--seed", type=int, default=0)
    synth_cli.set_defaults(handler=synth)

    predict_cli = commands.add_parser("predict", help="top-10 signs for landmark files or videos")
    predict_cli.add_argument("files", nargs="+", help="competition .parquet files or videos")
    predict_cli.add_argument("--model", default=None,
                             help="a model package folder (default: the registry's production, "
                             "else newest)")
    predict_cli.add_argument("--config", default=str(DEFAULT_DEPLOY_CONFIG),
                             help="config whose model.name names the model")
    predict_cli.set_defaults(handler=predict)

    feedback_cli = commands.add_parser(
        "feedback", help="compare a clip with the reference performances of a sign (JSON)")
    feedback_cli.add_argument("clip", help="a video or a competition .parquet landmark file")
    feedback_cli.add_argument("--sign", required=True, help="the sign practised, e.g. 'thank you'")
    feedback_cli.add_argument("--references", default=None,
                              help="competition-layout folder of reference performances "
                              "(default: the deploy config's app.tutorial_data_root)")
    feedback_cli.add_argument("--replay", default=None,
                              help="also write the side-by-side replay to this .mp4 file")
    feedback_cli.add_argument("--config", default=str(DEFAULT_DEPLOY_CONFIG))
    feedback_cli.set_defaults(handler=feedback)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from mlops.console import quiet_known_noise
    from mlops.dashboard import check_store

    quiet_known_noise()
    note = check_store()  # a dead dashboard server must not hang every command
    if note:
        print(note, file=sys.stderr)
    try:
        return args.handler(args) or 0
    except SignbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
