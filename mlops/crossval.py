"""`run_pipeline.py crossval`: leave-signers-out cross-validation of a training config, tracked in
MLflow (one run, a metric per fold, the table as an artifact) and printed as a table."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from signbridge import workspace
from signbridge.config import load_training_config
from signbridge.errors import SignbridgeError

if TYPE_CHECKING:
    from signbridge.model.crossval import CrossValidation

SUMMARY = ("top1_accuracy", "accepted_right", "not_sure")
LOWER_IS_BETTER = ("not_sure",)  # on known signs: its worst fold is the highest


def run_cross_validation(config_path: Path, data: str | None, folds: int,
                         experiment: str) -> pd.DataFrame:
    import mlflow

    from signbridge.data.files import read_index
    from signbridge.data.shards import build_shard_cache
    from signbridge.model.crossval import cross_validate
    from signbridge.model.evaluation import load_other_source

    config = load_training_config(config_path)
    root = Path(data).resolve() if data else config.data.resolved_root()
    index = read_index(root)
    signers = index["participant_id"].nunique()
    if not 2 <= folds <= signers:
        raise SignbridgeError(f"--folds {folds}: choose 2 to {signers} (the signers in {root})")
    cache = workspace.cache_dir() / "shards" / hashlib.sha256(str(root).encode()).hexdigest()[:12]
    everything, _ = build_shard_cache(index, cache, config.data.shard_size, config.data.workers)
    others = [loaded for source in config.evaluation.other_sources
              if (loaded := load_other_source(source.name, source.resolved_root(), source.index))]
    print(f"Leave-signers-out cross-validation of {config_path.name} on {root}: {signers} "
          f"signers in {folds} folds", flush=True)

    mlflow.set_tracking_uri(workspace.mlflow_tracking_uri())
    mlflow.set_experiment(experiment_id=workspace.ensure_mlflow_experiment(
        experiment, "Leave-signers-out cross-validation runs: how a recipe does on new signers."))
    run_name = f"{config_path.stem}-crossval-{uuid.uuid4().hex[:6]}"
    with mlflow.start_run(run_name=run_name, description=(
            f"Leave-signers-out cross-validation of `{config_path}` on `{root}`: each fold's "
            "signers are scored by a model trained without them.")):
        mlflow.set_tags({"config": config_path.stem, "kind": "crossval"})
        mlflow.log_params({"folds": folds, "signers": signers, "data_root": str(root)})

        def report(row: dict, so_far: CrossValidation) -> None:
            unknown = "".join(f", {name.split('/')[0]} other signs not sure {value:.3f}"
                              for name, value in row.items()
                              if name.endswith("/unknown_not_sure"))
            mlflow.log_metrics({f"fold/{name}": value for name, value in row.items()
                                if isinstance(value, float)}, step=row["fold"])
            log_tables(so_far)  # finished folds survive a stopped run
            print(f"fold {row['fold']:>2} ({row['held_out_signers']}): top-1 "
                  f"{row['top1_accuracy']:.3f}, accepted and right {row['accepted_right']:.3f}"
                  f"{unknown}", flush=True)

        result = cross_validate(everything, config, folds, others, on_fold=report)
        table = result.folds
        summary = summarise(table)
        tradeoff = summarise_tradeoff(result.tradeoff)
        mlflow.log_metrics({f"crossval/{name}": value for name, value in summary.items()})
        mlflow.log_table(table, "crossval/folds.json")
        log_tables(result)
        mlflow.log_table(tradeoff, "crossval/thresholds.json")
        mlflow.log_image(tradeoff_plot(tradeoff, config.evaluation.min_confidence),
                         "crossval/thresholds.png")
    print(table_markdown(table, summary))
    print("\nFixed acceptance thresholds (mean / worst fold; `evaluation.min_confidence`):")
    print(tradeoff_markdown(tradeoff))
    return table


def log_tables(result: CrossValidation) -> None:
    """The per-fold, per-threshold and per-clip tables of the active MLflow run, as CSV."""
    import mlflow

    mlflow.log_text(result.folds.to_csv(index=False), "crossval/folds.csv")
    mlflow.log_text(result.tradeoff.to_csv(index=False), "crossval/thresholds_per_fold.csv")
    mlflow.log_text(result.clips.to_csv(index=False), "crossval/clips.csv")


def summarise_tradeoff(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and worst fold of each acceptance figure, per fixed threshold."""
    figures = [c for c in per_fold.columns if c not in ("fold", "threshold")]
    grouped = per_fold.groupby("threshold")
    worst = grouped[figures].min()
    for column in figures:
        if column.endswith("accepted_wrong"):  # the worst fold gave the most wrong answers
            worst[column] = grouped[column].max()
    return (grouped[figures].mean().add_suffix("_mean").join(worst.add_suffix("_worst"))
            .reset_index())


def tradeoff_markdown(tradeoff: pd.DataFrame) -> str:
    figures = [c.removesuffix("_mean") for c in tradeoff.columns if c.endswith("_mean")]
    lines = ["| threshold | " + " | ".join(figures) + " |", "|" + "---|" * (len(figures) + 1)]
    for _, row in tradeoff.iterrows():
        lines.append(f"| {row['threshold']:.2f} | " + " | ".join(
            f"{row[f'{c}_mean']:.3f} / {row[f'{c}_worst']:.3f}" for c in figures) + " |")
    return "\n".join(lines)


def tradeoff_plot(tradeoff: pd.DataFrame, chosen: float | None):
    """Accepted-and-right on held-out signers and "not sure" on other sources' unknown signs,
    against the threshold: mean (line) and worst fold (dashed)."""
    import matplotlib.pyplot as plt

    from signbridge.model.plots import to_image

    curves = {"accepted_right": "held-out signers: accepted and right"}
    for column in tradeoff.columns:
        if column.endswith("/unknown_not_sure_mean"):
            curves[column.removesuffix("_mean")] = f"{column.split('/')[0]}: other signs \"not sure\""
    figure, axis = plt.subplots(figsize=(7, 4))
    for name, label in curves.items():
        line, = axis.plot(tradeoff["threshold"], tradeoff[f"{name}_mean"], label=label)
        axis.plot(tradeoff["threshold"], tradeoff[f"{name}_worst"], linestyle="--",
                  color=line.get_color(), alpha=0.7)
    if chosen is not None:
        axis.axvline(chosen, color="grey", linestyle=":", label=f"configured: {chosen:.0%}")
    axis.set_xlabel("fixed confidence threshold")
    axis.set_ylabel("share (line: mean, dashed: worst fold)")
    axis.set_ylim(0, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower left")
    axis.set_title("Leave-signers-out: what each acceptance threshold does")
    return to_image(figure)


def summarise(table: pd.DataFrame) -> dict[str, float]:
    """Mean, pooled (weighted by sequences) and worst fold of each per-fold rate."""
    columns = [c for c in table.columns
               if c.endswith(SUMMARY + ("unknown_not_sure",)) and table[c].notna().any()]
    summary = {}
    for column in columns:
        weights = table["sequences"] if "/" not in column else None
        summary[f"{column}_mean"] = float(table[column].mean())
        worst = table[column].max() if column in LOWER_IS_BETTER else table[column].min()
        summary[f"{column}_worst"] = float(worst)
        if weights is not None:
            summary[f"{column}_pooled"] = float((table[column] * weights).sum() / weights.sum())
    return summary


def table_markdown(table: pd.DataFrame, summary: dict[str, float]) -> str:
    shown = [c for c in ("fold", "held_out_signers", "sequences", "top1_accuracy",
                         "accepted_right", "not_sure") if c in table]
    shown += [c for c in table.columns if c.endswith(("/top1_accuracy", "/unknown_not_sure"))]
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
                                       for c in shown) + " |")
    for kind in ("mean", "worst"):
        lines.append("| " + " | ".join(
            [f"**{kind}**", "", ""] + [f"{summary.get(f'{c}_{kind}', float('nan')):.3f}"
                                       for c in shown[3:]]) + " |")
    return "\n".join(lines)
