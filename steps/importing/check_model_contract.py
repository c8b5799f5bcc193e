"""Check a model trained elsewhere against the competition contract; nothing goes on without it."""

import hashlib
from pathlib import Path
from typing import Annotated

from zenml import log_metadata, step
from zenml.logger import get_logger

from materializers import ModelPackageMaterializer
from signbridge.serving.acceptance import AcceptanceRule
from signbridge.serving.contract import check_model_file
from signbridge.serving.package import ModelPackage

logger = get_logger(__name__)


@step(output_materializers={"imported_model": ModelPackageMaterializer})
def check_model_contract(
    model_file: str, labels_file: str | None, max_frames: int
) -> tuple[
    Annotated[ModelPackage, "imported_model"],
    Annotated[dict, "model_source"],
]:
    checked = check_model_file(model_file, labels_file)
    report = checked.report
    logger.info("%s keeps the competition contract: %d real sequences answered, %s, %.2f ms "
                "median", model_file, report.probes, report.outputs, report.latency_ms)
    source = {
        "file": Path(model_file).name,
        "path": str(Path(model_file).resolve()),
        "sha256": hashlib.sha256(checked.model).hexdigest(),
        "labels_file": str(Path(labels_file).resolve()) if labels_file else "none (competition order)",
        **{f"contract.{key}": value for key, value in report.as_dict().items()},
    }
    log_metadata(metadata={"model_source": source}, infer_model=True)
    # Its acceptance rule is fitted by the evaluation step; until then it accepts as is.
    return ModelPackage(checked.model, checked.labels, max_frames, AcceptanceRule(checked.labels),
                        source="imported", outputs=report.outputs), source
