"""Figures of the report; every function returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

CORRECT, WRONG = "#1a7f37", "#cf222e"


def _image_axes(n: int, cols: int, size: float = 1.1):
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.15), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, axes.flat


def sample_grid(X: np.ndarray, y: np.ndarray, per_class: int = 8, random_state: int = 0):
    """``per_class`` random training images of every class, one row per class."""
    rng = np.random.default_rng(random_state)
    fig, axes = plt.subplots(10, per_class, figsize=(per_class * 0.8, 10 * 0.8))
    for c in range(10):
        idx = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        for k, i in enumerate(idx):
            ax = axes[c, k]
            ax.imshow(X[i], cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            if k == 0:
                ax.set_ylabel(str(c), rotation=0, labelpad=10)
    fig.tight_layout(pad=0.2)
    return fig


def class_count_plot(counts: pd.DataFrame):
    """Grouped bars of the class shares in train and test."""
    df = counts[["train share", "test share"]].reset_index().melt("class", var_name="split", value_name="share")
    fig, ax = plt.subplots(figsize=(7, 3))
    sns.barplot(df, x="class", y="share", hue="split", ax=ax)
    ax.axhline(0.1, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("share of split")
    fig.tight_layout()
    return fig


def pixel_histogram(X: np.ndarray):
    """Histogram of pixel intensities (log scale) on the [0, 1] scale."""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(X.ravel() / 255.0, bins=51, color="#4c72b0", log=True)
    ax.set_xlabel("pixel intensity (scaled to [0, 1])")
    ax.set_ylabel("pixels (log scale)")
    fig.tight_layout()
    return fig


def image_row(images: np.ndarray, titles, cmap: str = "viridis", rows: int = 1, vmin=None, vmax=None):
    """Images in a grid with a shared colour scale and a colour bar."""
    n = len(images)
    cols = int(np.ceil(n / rows))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.4, rows * 1.6), squeeze=False)
    vmin = images.min() if vmin is None else vmin
    vmax = images.max() if vmax is None else vmax
    for ax, img, title in zip(axes.flat, images, titles):
        im = ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(str(title), fontsize=9)
    for ax in axes.flat:
        ax.set_axis_off()
    fig.colorbar(im, ax=list(axes.flat), shrink=0.8)
    return fig


def centroid_plot(cent: pd.DataFrame):
    """Stroke centroids per class with one-standard-deviation error bars."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.errorbar(cent["col_mean"], cent["row_mean"], xerr=cent["col_sd"], yerr=cent["row_sd"], fmt="o",
                capsize=3)
    for c, r in cent.iterrows():
        ax.annotate(str(c), (r["col_mean"], r["row_mean"]), xytext=(4, 4), textcoords="offset points")
    ax.set_xlim(8, 20)
    ax.set_ylim(20, 8)
    ax.set_xlabel("column (pixels)")
    ax.set_ylabel("row (pixels)")
    ax.set_aspect("equal")
    fig.tight_layout()
    return fig


def class_boxplots(thick: pd.DataFrame, columns=("ink mass", "on-pixel ratio", "symmetry")):
    """One boxplot panel per measure, classes on the x axis."""
    fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns), 3.2))
    for ax, col in zip(np.atleast_1d(axes), columns):
        sns.boxplot(thick, x="class", y=col, ax=ax, fliersize=0.5, color="#8fb3d9")
        ax.set_title(col)
    fig.tight_layout()
    return fig


def heatmap(matrix: np.ndarray, title: str = "", fmt: str = ".2f", cmap: str = "mako", ax=None, **kw):
    """Annotated heatmap of a square class-by-class matrix."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.6))
    sns.heatmap(matrix, annot=True, fmt=fmt, cmap=cmap, ax=ax, square=True, cbar=False,
                annot_kws={"size": 7}, **kw)
    ax.set_title(title)
    return fig or ax.figure


def shift_maps(d_mean: np.ndarray, d_std: np.ndarray):
    """Test-minus-train maps of the pixel mean and standard deviation."""
    lim = float(max(np.abs(d_mean).max(), np.abs(d_std).max()))
    return image_row(np.stack([d_mean, d_std]), ["Δ mean (test − train)", "Δ std (test − train)"],
                     cmap="RdBu_r", vmin=-lim, vmax=lim)


def architecture_diagram(model: str, config: dict, n_parameters: int | None = None):
    """Data flow from raw images through the preprocessing, the module's blocks and the head."""
    if model == "mlp":
        block = "Linear({w})" + (" → BatchNorm1d" if config.get("use_bn") else "") + " → {a}"
    else:
        block = "Conv3x3({w})" + (" → BatchNorm2d" if config.get("use_bn") else "") + " → {a} → MaxPool*"
    if config.get("dropout_p"):
        block += " → Dropout({p})"
    stages = ["uint8 images (N, 28, 28)", "scale to [0, 1]; z-score with train mean/std",
              *[block.format(w=config["width"], a=config["activation"], p=config.get("dropout_p"))
                for _ in range(config["depth"])],
              "Linear head → 10 logits", "softmax → class probabilities"]
    if model == "mlp":
        stages.insert(2, "flatten to 784")
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(stages) + 0.6))
    ax.set_axis_off()
    ys = np.linspace(len(stages) - 1, 0, len(stages))
    for y, text in zip(ys, stages):
        ax.text(0.5, y, text, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.35", fc="#e8f0fe", ec="#4c72b0"))
    for y0, y1 in zip(ys[:-1], ys[1:]):
        ax.annotate("", xy=(0.5, y1 + 0.3), xytext=(0.5, y0 - 0.3), arrowprops=dict(arrowstyle="->"))
    ax.set_ylim(-0.6, len(stages) - 0.4)
    note = f"{model.upper()}: {n_parameters:,} parameters" if n_parameters else model.upper()
    if model == "cnn":
        note += " (*pooling in the first three blocks only)"
    ax.set_title(note, fontsize=10)
    fig.tight_layout()
    return fig


def learning_curves(history: pd.DataFrame, best_epoch: int | None = None, title: str = ""):
    """Accuracy, loss and learning rate per epoch (train and validation), best epoch marked."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, metric in zip(axes[:2], ("acc", "loss")):
        for split, style in (("train", "-"), ("valid", "--")):
            col = f"{split}_{metric}"
            if col in history:
                ax.plot(history["epoch"], history[col], style, marker="o", ms=3, label=split)
        if best_epoch:
            ax.axvline(best_epoch, color="green", lw=0.8)
            col = f"valid_{metric}"
            if col in history:
                val = history.loc[history["epoch"] == best_epoch, col].iloc[0]
                ax.plot([best_epoch], [val], "o", color="green", label=f"best={best_epoch}")
        ax.set_xlabel("epoch")
        ax.set_title("accuracy" if metric == "acc" else "cross-entropy loss")
        ax.legend(fontsize=8)
    axes[2].plot(history["epoch"], history["lr"], marker="o", ms=3)
    axes[2].set_title("learning rate")
    axes[2].set_xlabel("epoch")
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def schedule_curves(histories: dict[str, dict[str, pd.DataFrame]]):
    """Validation accuracy per epoch under each final-training schedule, one panel per model.

    ``histories`` maps a model name to ``{schedule name: per-epoch history}``.
    """
    fig, axes = plt.subplots(1, len(histories), figsize=(5 * len(histories), 3.2), squeeze=False)
    for ax, (model, by_name) in zip(axes[0], histories.items()):
        for name, h in by_name.items():
            ax.plot(h["epoch"], h["valid_acc"], marker="o", ms=3, label=name)
        ax.set_title(model)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def confusion_pair(cm: np.ndarray):
    """Confusion matrix in counts (left) and row-normalised percentages (right)."""
    cm = np.asarray(cm)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    heatmap(cm, "counts", fmt="d", cmap="Blues", ax=axes[0])
    heatmap(100 * cm / cm.sum(axis=1, keepdims=True), "row-normalised (%)", fmt=".1f", cmap="Blues", ax=axes[1])
    for ax in axes:
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    fig.tight_layout()
    return fig


def confusion_pairs_plot(pairs: pd.DataFrame):
    """Horizontal bars of the most frequent (true → predicted) mistakes."""
    fig, ax = plt.subplots(figsize=(6, 0.3 * max(len(pairs), 3) + 0.8))
    labels = [f"{t} → {p}" for t, p in zip(pairs["true"], pairs["predicted"])]
    ax.barh(labels[::-1], pairs["count"][::-1], color="#dd8452")
    ax.set_xlabel("test images")
    fig.tight_layout()
    return fig


def sweep_panels(decisions: list[dict]):
    """Validation accuracy per candidate for every swept hyperparameter; the chosen value in red."""
    n = len(decisions)
    cols = 5
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.6 * rows), squeeze=False)
    for ax, d in zip(axes.flat, decisions):
        labels = [str(v) for v in d["candidates"]]
        scores = np.array([np.nan if s is None else s for s in d["scores"]], dtype=float)
        colors = [WRONG if str(v) == str(d["chosen"]) else "#8fb3d9" for v in d["candidates"]]
        ax.bar(labels, np.nan_to_num(scores, nan=0.0), color=colors)
        vertical = len(labels) > 4
        for k, s in enumerate(scores):
            ax.text(k, 0 if np.isnan(s) else s, "diverged" if np.isnan(s) else f"{s:.4f}", ha="center",
                    va="bottom", fontsize=6, rotation=90 if vertical else 0)
        finite = scores[np.isfinite(scores)]
        if len(finite):
            lo, hi = max(0.0, finite.min() - 0.02), finite.max()
            label_share = 0.22 if vertical else 0.08  # of the axis height, above the tallest bar
            ax.set_ylim(lo, hi + max(0.005, (hi - lo) * label_share / (1 - label_share)))
        ax.set_title(f"{d['step'] + 1}. {d['param']}", fontsize=9)
        ax.tick_params(axis="x", labelsize=7, rotation=30)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.supylabel("validation accuracy")
    fig.tight_layout()
    return fig


#: The relations of the seed's interdependency diagram (its Figure 8), as (from, to, label).
INTERDEPENDENCIES = [
    ("Batch size", "Learning rate", "gradient noise bounds step size"),
    ("Batch size", "BatchNorm", "batch statistics get noisy when small"),
    ("Learning rate", "Weight decay / dropout", "larger steps need more regularisation"),
    ("Learning rate", "Momentum", "high α, lower β"),
    ("Optimizer", "Learning rate", "adapts α per parameter"),
    ("LR schedule", "Momentum", "β follows the α schedule"),
    ("Optimizer", "LR schedule", "global vs per-parameter rates"),
    ("BatchNorm", "Weight decay / dropout", "implicit regularisation"),
    ("Data augmentation", "Weight decay / dropout", "reduces need"),
    ("Warmup", "LR schedule", "first phase of the schedule"),
    ("Warmup", "Gradient clipping", "complementary stabilisers"),
    ("BatchNorm", "Width / depth", "makes deep nets trainable"),
    ("Width / depth", "Weight decay / dropout", "capacity needs regularisation"),
    ("Data augmentation", "Label smoothing", "together curb over-confidence"),
]
#: Layout of the diagram: tiers run from the batch size (top) to the output tier (bottom).
LAYOUT = {
    "Batch size": (0, 5), "Optimizer": (-5, 4.5), "Learning rate": (-2, 4), "BatchNorm": (2, 4),
    "LR schedule": (-6, 3), "Momentum": (-3.8, 3), "Width / depth": (3.2, 3),
    "Weight decay / dropout": (0, 2.4), "Warmup": (-6, 1.4), "Gradient clipping": (-3.4, 1.2),
    "Data augmentation": (3.4, 1.4), "Label smoothing": (3.4, 0),
}


def interdependency_graph():
    """The hyperparameter interdependencies as a directed graph (networkx), tiers top to bottom."""
    import networkx as nx

    g = nx.DiGraph()
    for a, b, label in INTERDEPENDENCIES:
        g.add_edge(a, b, label=label)
    fig, ax = plt.subplots(figsize=(11, 6.5))
    nx.draw_networkx_edges(g, LAYOUT, ax=ax, arrows=True, arrowsize=14, min_source_margin=28,
                           min_target_margin=28, edge_color="#555555")
    nx.draw_networkx_edge_labels(g, LAYOUT, edge_labels=nx.get_edge_attributes(g, "label"), ax=ax,
                                 font_size=7, bbox=dict(fc="white", ec="none", alpha=0.8))
    nx.draw_networkx_labels(g, LAYOUT, ax=ax, font_size=9,
                            bbox=dict(boxstyle="round,pad=0.4", fc="#e8f0fe", ec="#4c72b0"))
    ax.set_xlim(-7.2, 4.8)
    ax.set_ylim(-0.5, 5.5)
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def prediction_grid(X: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, index: np.ndarray,
                    cols: int = 8, confidence: np.ndarray | None = None):
    """Images with 'true / predicted' titles, green when right and red when wrong."""
    fig, axes = _image_axes(len(index), cols)
    for ax, i in zip(axes, index):
        ax.imshow(X[i], cmap="gray_r")
        ok = y_true[i] == y_pred[i]
        title = f"{y_true[i]} / {y_pred[i]}"
        if confidence is not None:
            title += f" ({confidence[i]:.2f})"
        ax.set_title(title, color=CORRECT if ok else WRONG, fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig
