"""Classification metrics from a confusion matrix, a text report and a confusion-matrix PNG.

confusion[i, j] = number of examples whose true class is i and predicted class is j

precision_j = confusion[j, j] / column j sum     (of those predicted j, how many are j)
recall_i    = confusion[i, i] / row i sum        (of the true i, how many were found)
macro F1    = the plain mean of the per-class F1, so a rare class (spam) counts as much
              as a frequent one (ham); accuracy alone hides a model that never says spam
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from seqlab.analysis import plots


def confusion_matrix(targets: Tensor, predictions: Tensor, num_classes: int) -> Tensor:
    """targets (N,), predictions (N,) -> counts (C, C), rows true, columns predicted."""
    index = targets.long() * num_classes + predictions.long()
    return torch.bincount(index, minlength=num_classes**2).view(num_classes, num_classes)


def _ratio(num: Tensor, den: Tensor) -> Tensor:
    return torch.where(den > 0, num / den.clamp(min=1), torch.zeros_like(num))


def classification_metrics(confusion: Tensor, labels: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro P/R/F1 and per-class ``precision_<label>``/``recall_<label>``/``f1_...``."""
    c = confusion.double()
    tp = c.diagonal()  # (C,)
    precision = _ratio(tp, c.sum(0))
    recall = _ratio(tp, c.sum(1))
    f1 = _ratio(2 * precision * recall, precision + recall)
    present = (c.sum(0) + c.sum(1)) > 0  # classes absent from both sides do not count
    k = max(1, int(present.sum()))
    out = {
        "accuracy": float(tp.sum() / c.sum().clamp(min=1)),
        "macro_precision": float(precision[present].sum() / k),
        "macro_recall": float(recall[present].sum() / k),
        "macro_f1": float(f1[present].sum() / k),
    }
    for i, label in enumerate(labels):
        out[f"precision_{label}"] = float(precision[i])
        out[f"recall_{label}"] = float(recall[i])
        out[f"f1_{label}"] = float(f1[i])
    return out


def format_report(confusion: Tensor, labels: Sequence[str], metrics: dict[str, float]) -> str:
    """A sklearn-like table: per-class precision, recall, F1 and support, then the totals."""
    width = max(12, *(len(label) for label in labels))
    lines = [f"{'':<{width}} precision    recall        f1   support"]
    support = confusion.sum(1).tolist()
    for i, label in enumerate(labels):
        lines.append(
            f"{label:<{width}} {metrics[f'precision_{label}']:>9.4f} "
            f"{metrics[f'recall_{label}']:>9.4f} {metrics[f'f1_{label}']:>9.4f} {support[i]:>9}"
        )
    total = int(confusion.sum())
    lines.append("")
    lines.append(f"{'accuracy':<{width}} {'':>9} {'':>9} {metrics['accuracy']:>9.4f} {total:>9}")
    lines.append(
        f"{'macro avg':<{width}} {metrics['macro_precision']:>9.4f} "
        f"{metrics['macro_recall']:>9.4f} {metrics['macro_f1']:>9.4f} {total:>9}"
    )
    return "\n".join(lines)


def draw_confusion(confusion: Tensor, labels: Sequence[str], title: str = "") -> plots.Figure:
    """The confusion matrix (C, C): counts in the cells (up to 30 classes), colour = share of
    the row (the true class)."""
    counts = confusion.cpu().numpy()  # (C, C)
    share = counts / counts.sum(1, keepdims=True).clip(min=1)
    size = max(4.0, 0.5 * len(labels) + 2)
    fig, (ax,) = plots.figure(size + 1.2, size)
    image = plots.heatmap(
        ax,
        share,
        title=f"confusion matrix ({title})" if title else "confusion matrix",
        xlabel="predicted class",
        ylabel="true class",
        x_labels=labels,
        y_labels=labels,
        cmap="Blues",
        vmin=0,
        vmax=1,
        rotate_x=True,
    )
    if len(labels) <= 30:
        texts = [[str(n) for n in row] for row in counts.tolist()]
        plots.label_cells(ax, texts, share > 0.5)
    plots.colorbar(fig, image, ax, "share of the true class (row)")
    return fig


def plot_confusion(confusion: Tensor, labels: Sequence[str], path: Path, title: str = "") -> None:
    """Write the confusion matrix as a PNG: counts in the cells, colour = share of the row."""
    plots.save(draw_confusion(confusion, labels, title), path)
