#!/usr/bin/env python
"""signbridge command line: train, export and predict (deploy and the app service come later).

    python run_pipeline.py train --config configs/train_sample.yaml
    python run_pipeline.py export --out exported/
    python run_pipeline.py predict path/to/sequence.parquet ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from signbridge import workspace

workspace.configure_environment()

from signbridge.errors import SignbridgeError  # noqa: E402

DEFAULT_MODEL_NAME = "signbridge-asl"


def train(args: argparse.Namespace) -> None:
    """Run the training pipeline on the real ZenML stack; every run is tracked in MLflow."""
    config = _existing(args.config)
    from stacks.local import ensure_local_stack

    ensure_local_stack()
    from pipelines.training import training_pipeline

    training_pipeline.with_options(config_path=str(config))()
    print(f"\nTraining finished. MLflow UI:  {workspace.mlflow_ui_command()}")


def export(args: argparse.Namespace) -> None:
    """Write the production (or newest) registered model as DIR/model.tflite + DIR/labels.json."""
    from signbridge.registry import download_version, find_version

    version = find_version(args.model_name, args.alias)
    out = download_version(version, args.out)
    print(json.dumps({
        "model": args.model_name,
        "version": version.version,
        "aliases": version.aliases,
        "model_path": str(out / "model.tflite"),
        "labels_path": str(out / "labels.json"),
    }, indent=1))


def predict(args: argparse.Namespace) -> int:
    """Print the top-10 signs per file as JSON lines; exit 1 if any file could not be read."""
    from signbridge.predict import load_classifier, predict_file

    classifier = load_classifier(args.model, args.model_name)
    failures = 0
    for path in args.files:
        try:
            result = {"file": path, "top10": predict_file(classifier, path)}
        except SignbridgeError as error:
            failures += 1
            result = {"file": path, "error": str(error)}
        print(json.dumps(result))
    return 1 if failures else 0


def _existing(path: str) -> Path:
    if not Path(path).is_file():
        raise SignbridgeError(f"{path}: config file not found")
    return Path(path)


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = cli.add_subparsers(dest="command", required=True)

    train_cli = commands.add_parser("train", help="run the training pipeline")
    train_cli.add_argument("--config", default="configs/train_sample.yaml")
    train_cli.set_defaults(handler=train)

    export_cli = commands.add_parser("export", help="write the registered model as TFLite")
    export_cli.add_argument("--out", required=True, help="output folder")
    export_cli.add_argument("--model-name", default=DEFAULT_MODEL_NAME)
    export_cli.add_argument("--alias", default=None, help="registry alias (default: production, "
                            "else the newest version)")
    export_cli.set_defaults(handler=export)

    predict_cli = commands.add_parser("predict", help="top-10 signs for landmark files")
    predict_cli.add_argument("files", nargs="+", help="competition .parquet files")
    predict_cli.add_argument("--model", default=None,
                             help="folder with model.tflite + labels.json (default: the registry)")
    predict_cli.add_argument("--model-name", default=DEFAULT_MODEL_NAME)
    predict_cli.set_defaults(handler=predict)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except SignbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
