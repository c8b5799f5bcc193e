"""Read the competition folder, reject bad files with reasons, split by signer."""

from typing import Annotated

import mlflow
import numpy as np
import pandas as pd
from tqdm import tqdm
from zenml import log_metadata, step
from zenml.logger import get_logger

from materializers import LandmarkDatasetMaterializer
from signbridge.config import DataConfig, SplitConfig
from signbridge.data import (
    LandmarkDataset,
    dataset_fingerprint,
    load_sequences,
    read_index,
    sign_counts,
    split_signers,
)
from steps.tracking import EXPERIMENT_TRACKER

logger = get_logger(__name__)


@step(
    experiment_tracker=EXPERIMENT_TRACKER,
    output_materializers={
        "train_set": LandmarkDatasetMaterializer,
        "validation_set": LandmarkDatasetMaterializer,
        "evaluation_set": LandmarkDatasetMaterializer,
    },
)
def ingest_landmarks(
    data: DataConfig, split: SplitConfig
) -> tuple[
    Annotated[LandmarkDataset, "train_set"],
    Annotated[LandmarkDataset, "validation_set"],
    Annotated[LandmarkDataset, "evaluation_set"],
    Annotated[pd.DataFrame, "sign_counts"],
    Annotated[pd.DataFrame, "rejected_files"],
]:
    root = data.resolved_root()
    index = read_index(root)
    if data.limit:
        index = index.head(data.limit)
    logger.info("Reading %d sequences from %s", len(index), root)
    result = load_sequences(index, progress=lambda rows: tqdm(rows, total=len(index), mininterval=5))
    dataset = result.dataset
    signers = split_signers(
        dataset.participant_ids, split.evaluation_signers, split.validation_signers, split.seed
    )
    splits = {
        name: dataset.subset(np.flatnonzero(np.isin(dataset.participant_ids, members)))
        for name, members in vars(signers).items()
    }
    counts = sign_counts(splits)
    rejected = pd.DataFrame([vars(r) for r in result.rejections], columns=["path", "reason"])
    for name, part in splits.items():
        logger.info("%s: %d sequences from %d signers", name, len(part), len(vars(signers)[name]))
    logger.info("Rejected %d of %d files", len(rejected), len(index))

    summary = {
        "data_root": str(root),
        "sequences_listed": len(index),
        "sequences_loaded": len(dataset),
        "files_rejected": len(rejected),
        "evaluation_fingerprint": dataset_fingerprint(splits["evaluation"]),
        **{f"{name}_signers": ",".join(members) for name, members in vars(signers).items()},
        **{f"{name}_sequences": len(part) for name, part in splits.items()},
    }
    mlflow.log_params(summary)
    mlflow.log_text(counts.to_csv(), "data/sign_counts.csv")
    mlflow.log_text(rejected.to_csv(index=False), "data/rejected_files.csv")
    log_metadata(metadata=summary, infer_model=True)
    return splits["train"], splits["validation"], splits["evaluation"], counts, rejected
