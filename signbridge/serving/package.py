"""An exported sign model: the `.tflite` bytes and the label list that goes with them."""

from dataclasses import dataclass, field
from pathlib import Path

from signbridge.serving.classifier import write_labels

MODEL_FILENAME = "model.tflite"
LABELS_FILENAME = "labels.json"
MODEL_CARD_FILENAME = "MODEL_CARD.md"


@dataclass
class TFLiteModel:
    content: bytes
    labels: list[str]
    metadata: dict[str, float | int | str] = field(default_factory=dict)
    model_card: str = ""

    def write(self, directory: str | Path) -> Path:
        """Write `model.tflite` and `labels.json` into `directory`; returns the model path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model_path = directory / MODEL_FILENAME
        model_path.write_bytes(self.content)
        write_labels(directory / LABELS_FILENAME, self.labels)
        if self.model_card:
            (directory / MODEL_CARD_FILENAME).write_text(self.model_card)
        return model_path
