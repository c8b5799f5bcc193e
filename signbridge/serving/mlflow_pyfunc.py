"""MLflow pyfunc wrapper of an exported sign model (logged as "models from code").

Self-contained on purpose (numpy + ai-edge-litert only), so the registered model loads anywhere:
`mlflow.pyfunc.load_model("models:/signbridge-asl@production").predict(frames)` -> `[250]`.
"""

import json

import mlflow
import numpy as np
from mlflow.pyfunc import PythonModel


class TFLiteSignModel(PythonModel):
    def load_context(self, context) -> None:
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=context.artifacts["model"])
        self.runner = interpreter.get_signature_runner("serving_default")
        with open(context.artifacts["labels"]) as file:
            labels = json.load(file)
        self.labels = [labels[str(i)] for i in range(len(labels))]

    def predict(self, context, model_input, params=None) -> np.ndarray:
        """Probabilities over the signs for one raw landmark sequence `[frames, 543, 3]`."""
        frames = np.asarray(model_input, dtype=np.float32)
        return self.runner(inputs=frames)["outputs"]


mlflow.models.set_model(TFLiteSignModel())
