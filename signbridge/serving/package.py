"""The exported model package: one folder, read and written only here.

    model.tflite     the competition contract: `serving_default`, `inputs` [n, 543, 3] -> `outputs` [250]
    labels.json      output index -> sign name (250)
    package.json     frames the model samples, the signs it was trained on, its acceptance rule,
                     where it came from, whether it answers probabilities or logits, and its
                     held-out figures
    MODEL_CARD.md    data, split, metrics, limits, intended use

Export, the registry, serving, the app and `predict` all go through `ModelPackage`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from signbridge.data.landmarks import NUM_SIGNS
from signbridge.errors import SignbridgeError
from signbridge.serving.acceptance import AcceptanceRule

PACKAGE_FORMAT = 1
MODEL_FILE = "model.tflite"
LABELS_FILE = "labels.json"
METADATA_FILE = "package.json"
CARD_FILE = "MODEL_CARD.md"
PACKAGE_FILES = (MODEL_FILE, LABELS_FILE, METADATA_FILE, CARD_FILE)


@dataclass
class ModelPackage:
    model: bytes  # the .tflite file
    labels: list[str]  # output index -> sign
    max_frames: int  # frames the model was trained on; video is sampled to this many
    acceptance: AcceptanceRule
    source: str = "trained"  # "trained" by this project or "imported"
    outputs: str = "probabilities"  # or "logits": SignClassifier applies the softmax
    metrics: dict[str, float] = field(default_factory=dict)
    model_card: str = ""

    @property
    def known_signs(self) -> list[str]:
        return self.acceptance.known_signs

    def classifier(self, num_threads: int = 1):
        """The package's model, ready to run (probabilities out, whatever the model answers)."""
        from signbridge.serving.classifier import SignClassifier

        return SignClassifier(self.model, num_threads, self.outputs)

    def write(self, directory: str | Path) -> Path:
        """Write the package's files into `directory` (created if needed); returns it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MODEL_FILE).write_bytes(self.model)
        (directory / LABELS_FILE).write_text(
            json.dumps({str(i): sign for i, sign in enumerate(self.labels)}, indent=1))
        metadata = {
            "format": PACKAGE_FORMAT,
            "max_frames": self.max_frames,
            "acceptance": self.acceptance.to_dict(),
            "source": self.source,
            "outputs": self.outputs,
            "metrics": self.metrics,
        }
        (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=1))
        if self.model_card:
            (directory / CARD_FILE).write_text(self.model_card)
        return directory

    @classmethod
    def read(cls, directory: str | Path) -> ModelPackage:
        """Read a package folder; a missing or malformed file is named in the error."""
        directory = Path(directory)
        for name in (MODEL_FILE, LABELS_FILE, METADATA_FILE):
            if not (directory / name).is_file():
                raise SignbridgeError(f"{directory / name}: not found; `run_pipeline.py export "
                                      f"--out {directory}` writes a complete model package")
        labels = read_labels(directory / LABELS_FILE)
        try:
            metadata = json.loads((directory / METADATA_FILE).read_text())
            acceptance = AcceptanceRule.from_dict(metadata["acceptance"])
            max_frames = int(metadata["max_frames"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise SignbridgeError(
                f"{directory / METADATA_FILE}: malformed package metadata ({error})") from error
        unknown = sorted(set(acceptance.known_signs) - set(labels))
        if unknown:
            raise SignbridgeError(f"{directory / METADATA_FILE}: known sign(s) {unknown[:5]} "
                                  "are not in labels.json")
        card = directory / CARD_FILE
        return cls(
            model=(directory / MODEL_FILE).read_bytes(), labels=labels, max_frames=max_frames,
            acceptance=acceptance, source=metadata.get("source", "trained"),
            outputs=metadata.get("outputs", "probabilities"),
            metrics=metadata.get("metrics", {}),
            model_card=card.read_text() if card.is_file() else "",
        )


def read_labels(path: str | Path) -> list[str]:
    """`labels.json` (output index -> sign name) as a list of the 250 signs."""
    try:
        mapping = json.loads(Path(path).read_text())
        labels = [str(mapping[str(i)]) for i in range(len(mapping))]
    except (json.JSONDecodeError, KeyError, AttributeError) as error:
        raise SignbridgeError(f"{path}: not a labels file (index -> sign name): {error}") from error
    if len(labels) != NUM_SIGNS or len(set(labels)) != NUM_SIGNS:
        raise SignbridgeError(f"{path}: {len(set(labels))} distinct labels, expected {NUM_SIGNS}")
    return labels
