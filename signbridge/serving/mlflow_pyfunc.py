"""MLflow pyfunc wrapper of an exported model package (logged as "models from code").

Self-contained on purpose (numpy + ai-edge-litert only), so the registered model loads anywhere:
`mlflow.pyfunc.load_model("models:/signbridge-asl@production").predict(frames)` -> `[250]`.
The whole package (labels, acceptance rule, model card) travels as the `package` artifact.
"""

import json
from pathlib import Path

import mlflow
import numpy as np
from mlflow.pyfunc import PythonModel


class TFLiteSignModel(PythonModel):
    def load_context(self, context) -> None:
        from ai_edge_litert.interpreter import Interpreter

        package = Path(context.artifacts["package"])
        interpreter = Interpreter(model_path=str(package / "model.tflite"))
        self.runner = interpreter.get_signature_runner("serving_default")
        labels = json.loads((package / "labels.json").read_text())
        self.labels = [labels[str(i)] for i in range(len(labels))]
        metadata = json.loads((package / "package.json").read_text())
        self.logits = metadata.get("outputs") == "logits"  # an imported model answering logits

    def predict(self, context, model_input: np.ndarray, params=None) -> np.ndarray:
        """Probabilities over the signs for one raw landmark sequence `[frames, 543, 3]`."""
        frames = np.asarray(model_input, dtype=np.float32)
        output = self.runner(inputs=frames)["outputs"]
        if self.logits:
            shifted = np.exp(output.astype(np.float64) - output.max())
            output = (shifted / shifted.sum()).astype(np.float32)
        return output


mlflow.models.set_model(TFLiteSignModel())
