"""Read the competition folder into a shard cache, reject bad files with reasons, split by signer."""

import hashlib
from typing import Annotated

import mlflow
import pandas as pd
from zenml import log_metadata, step
from zenml.logger import get_logger

from materializers import ShardSetMaterializer
from signbridge import workspace
from signbridge.config import DataConfig, SplitConfig
from signbridge.console import progress
from signbridge.data.files import read_index, split_signers
from signbridge.data.landmarks import index_to_sign
from signbridge.data.shards import ShardSet, build_shard_cache, sequence_table, shard_fingerprint
from steps.metadata import log_run_metadata, mlflow_run_link

logger = get_logger(__name__)


@step(
    experiment_tracker=True,
    output_materializers={
        "train_set": ShardSetMaterializer,
        "validation_set": ShardSetMaterializer,
        "evaluation_set": ShardSetMaterializer,
    },
)
def ingest_landmarks(
    data: DataConfig, split: SplitConfig
) -> tuple[
    Annotated[ShardSet, "train_set"],
    Annotated[ShardSet, "validation_set"],
    Annotated[ShardSet, "evaluation_set"],
    Annotated[pd.DataFrame, "sign_counts"],
    Annotated[pd.DataFrame, "rejected_files"],
    Annotated[dict, "data_summary"],
]:
    root = data.resolved_root()
    index = read_index(root)
    if data.limit:
        index = index.head(data.limit)
    signers = split_signers(
        index["participant_id"], split.evaluation_signers, split.validation_signers, split.seed
    )
    cache = workspace.cache_dir() / "shards" / hashlib.sha256(str(root).encode()).hexdigest()[:12]
    logger.info("Caching %d sequences from %s in %s", len(index), root, cache)
    everything, rejections = build_shard_cache(
        index, cache, data.shard_size, data.workers,
        progress=lambda shards, total: progress(shards, total, "shards cached", logger),
    )
    splits = {name: everything.restricted_to(members) for name, members in vars(signers).items()}

    sequences = sequence_table(everything)
    sequences["sign"] = [index_to_sign()[label] for label in sequences["label"]]
    split_of = {p: name for name, members in vars(signers).items() for p in members}
    sequences["split"] = sequences["participant_id"].map(split_of)
    counts = sequences.pivot_table(index="sign", columns="split", values="label",
                                   aggfunc="count", fill_value=0)
    rejected = pd.DataFrame([vars(r) for r in rejections], columns=["path", "reason"])
    for name, part in splits.items():
        logger.info("%s: %d sequences from %d signers", name, part.sequences,
                    len(vars(signers)[name]))
    logger.info("Rejected %d of %d files", len(rejected), len(index))

    summary = {
        "data_root": str(root),
        "sequences_listed": len(index),
        "sequences_loaded": everything.sequences,
        "files_rejected": len(rejected),
        "evaluation_fingerprint": shard_fingerprint(splits["evaluation"]),
        **{f"{name}_signers": ",".join(members) for name, members in vars(signers).items()},
        **{f"{name}_sequences": part.sequences for name, part in splits.items()},
    }
    mlflow.log_params(summary)
    # Runs compare fairly only on the same data: both fingerprints are tags, shown in the UI.
    mlflow.set_tags({
        "data_fingerprint": hashlib.sha256("".join(everything.shards).encode()).hexdigest()[:16],
        "evaluation_fingerprint": summary["evaluation_fingerprint"],
    })
    mlflow.log_text(counts.to_csv(), "data/sign_counts.csv")
    mlflow.log_text(rejected.to_csv(index=False), "data/rejected_files.csv")
    log_metadata(metadata=summary, infer_model=True)
    log_run_metadata({"data": summary, "evaluation_fingerprint": summary["evaluation_fingerprint"],
                      **mlflow_run_link()})
    return (splits["train"], splits["validation"], splits["evaluation"], counts, rejected,
            summary)
