"""Figures people would rather look at than read: training curves and confusion matrices."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402


def to_image(figure: plt.Figure) -> Image.Image:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def training_curves(history: dict[str, list[float]], best_epoch: int | None = None) -> Image.Image:
    """Loss and accuracy per epoch (counted from 1), train vs validation, the restored epoch marked."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix, label in (("", "train"), ("val_", "validation")):
            values = history.get(prefix + metric)
            if values:
                axis.plot(range(1, len(values) + 1), values, label=label)
        if best_epoch:
            axis.axvline(best_epoch, color="grey", linestyle="--", label=f"kept: epoch {best_epoch}")
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    return to_image(figure)


def confusion_matrix(confusion: pd.DataFrame, max_signs: int = 40) -> Image.Image:
    """Heat map of true vs predicted sign, limited to the most frequent signs."""
    if len(confusion) > max_signs:
        keep = confusion.sum(axis=1).nlargest(max_signs).index
        confusion = confusion.loc[keep, [c for c in confusion.columns if c in keep]]
    size = max(4.0, 0.3 * len(confusion.columns) + 2)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(confusion.to_numpy(), cmap="Blues")
    axis.set_xticks(range(len(confusion.columns)), confusion.columns, rotation=90)
    axis.set_yticks(range(len(confusion.index)), confusion.index)
    axis.set_xlabel("predicted sign")
    axis.set_ylabel("true sign")
    axis.set_title("Confusion matrix (held-out signers)")
    if len(confusion) <= 12:
        for (row, column), count in pd.DataFrame(confusion.to_numpy()).stack().items():
            axis.text(column, row, str(count), ha="center", va="center")
    figure.colorbar(image, ax=axis)
    return to_image(figure)


def coverage_plot(curve: pd.DataFrame, threshold: float, accepted_right: float,
                  title: str = "Held-out signers", rising: bool = False) -> Image.Image:
    """Selective accuracy against coverage, with the acceptance rule's threshold marked (with
    `rising`, the least of the thresholds, for a hand shaped like the known signs')."""
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(curve["coverage"], curve["selective_accuracy"], color="tab:blue")
    chosen = curve[curve["threshold"] >= threshold]
    if len(chosen):
        point = chosen.iloc[-1]
        axis.scatter([point["coverage"]], [point["selective_accuracy"]], color="tab:red", zorder=3,
                     label=f"accepted from {threshold:.0%}"
                           f"{' (more for unfamiliar hands)' if rising else ''}: "
                           f"{point['coverage']:.0%} answered, "
                           f"{accepted_right:.0%} accepted and right")
        axis.legend(loc="lower left", fontsize=8)
    axis.set_xlabel("coverage (share of sequences answered)")
    axis.set_ylabel("accuracy of the answers given")
    axis.set_xlim(0, 1.02)
    axis.set_ylim(min(0.5, float(curve["selective_accuracy"].min()) - 0.02), 1.01)
    axis.grid(alpha=0.3)
    axis.set_title(f"Coverage and selective accuracy ({title})")
    return to_image(figure)
