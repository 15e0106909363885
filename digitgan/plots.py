"""Figures of the study. Plotting helpers take and return an ``Axes``; ``save_fig`` writes PNGs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from PIL import Image
from sklearn.metrics import confusion_matrix

from digitgan import config
from digitgan.utils import remove_stale_temp_files, temp_path


def save_fig(path: Path, fig=None, dpi: int = 100) -> Path:
    """Save ``fig`` (default: the current figure) as the PNG ``path`` (notebooks use ``run.save_fig(name)``),
    through a temporary file so that a killed save leaves no half image."""
    from digitgan.utils import writable_folder

    fig = fig or plt.gcf()
    path = Path(path)
    writable_folder(path.parent)
    tmp = temp_path(path)
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def plot_accuracy(history: dict, ax=None, title: str = "", phase_boundary: int | None = None):
    """Train and test accuracy per epoch; a dashed line marks where the layers were unfrozen."""
    ax = ax or plt.gca()
    epochs = np.arange(1, len(history["accuracy"]) + 1)
    ax.plot(epochs, history["accuracy"], "o-", label="train")
    if "val_accuracy" in history:
        ax.plot(epochs, history["val_accuracy"], "s-", label="test")
    if phase_boundary:
        ax.axvline(phase_boundary + 0.5, color="gray", ls="--", label="unfrozen")
    ax.set(xlabel="epoch", ylabel="accuracy", title=title)
    ax.set_xticks(epochs)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def confusion(y_true, y_pred, normalize: bool = True) -> np.ndarray:
    """10x10 confusion matrix, rows = true digit; row-normalised (fractions) by default."""
    return confusion_matrix(y_true, y_pred, labels=range(config.NUM_CLASSES), normalize="true" if normalize else None)


def plot_confusion(y_true, y_pred, ax=None, title: str = "", cbar: bool = True):
    """Row-normalised confusion-matrix heatmap, annotated (the report's Figure 1b)."""
    ax = ax or plt.gca()
    sns.heatmap(
        confusion(y_true, y_pred),
        annot=True,
        fmt=".2f",
        cmap="Blues",
        vmin=0,
        vmax=1,
        square=True,
        cbar=cbar,
        annot_kws={"size": 7},
        ax=ax,
    )
    ax.set(xlabel="predicted digit", ylabel="true digit", title=title)
    return ax


def most_confused(y_true, y_pred, k: int = 5) -> pd.DataFrame:
    """The ``k`` most frequent (true, predicted) mistakes, with counts and share of that true digit."""
    counts = confusion(y_true, y_pred, normalize=False)
    totals = counts.sum(axis=1)
    rows = [
        {"true": t, "predicted": p, "count": int(counts[t, p]), "rate": counts[t, p] / totals[t]}
        for t in range(config.NUM_CLASSES)
        for p in range(config.NUM_CLASSES)
        if t != p and counts[t, p]
    ]
    table = pd.DataFrame(rows, columns=["true", "predicted", "count", "rate"])
    return table.sort_values(["count", "true"], ascending=[False, True]).head(k).reset_index(drop=True)


PROBABILITY_COLOURS = {"predicted, right": "tab:blue", "predicted, wrong": "tab:red", "other digits": "lightgray"}


def plot_digit_probabilities(image, probs, true_label=None, axes=None):
    """A test digit beside the model's probability for each class (the original's bar chart): the predicted
    digit's bar blue when right, red when wrong; the title names the true and the predicted digit."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(7, 2.8))
    ax_img, ax_bar = axes
    predicted = int(np.argmax(probs))
    ax_img.imshow(np.squeeze(image), cmap="gray_r")
    ax_img.set_axis_off()
    ax_img.set_title(f"true: {true_label}" if true_label is not None else "")
    bars = ax_bar.bar(range(config.NUM_CLASSES), probs, color=PROBABILITY_COLOURS["other digits"])
    right = true_label is None or predicted == true_label
    bars[predicted].set_color(PROBABILITY_COLOURS["predicted, right" if right else "predicted, wrong"])
    ax_bar.set(
        xticks=range(config.NUM_CLASSES), ylim=(0, 1), xlabel="digit", ylabel="probability",
        title=f"predicted: {predicted} (p = {probs[predicted]:.2f})",
    )  # fmt: skip
    return axes


def plot_digit_examples(images, probs, y_true, title: str):
    """The first test digit and the first one the model gets wrong, each beside its class probabilities, with
    a title and a key for the bar colours."""
    wrong = np.flatnonzero(np.argmax(probs, axis=1) != np.asarray(y_true))
    chosen = [0] + ([int(wrong[0])] if len(wrong) else [])
    fig, axes = plt.subplots(len(chosen), 2, figsize=(8, 2.9 * len(chosen)), squeeze=False)
    for row, i in zip(axes, chosen, strict=True):
        plot_digit_probabilities(images[i], probs[i], int(y_true[i]), axes=row)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in PROBABILITY_COLOURS.values()]
    fig.legend(handles, PROBABILITY_COLOURS, loc="lower center", ncol=3, frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def to_uint8(images) -> np.ndarray:
    """Images in [-1, 1] -> uint8 in [0, 255], channel axis dropped."""
    return np.clip(np.squeeze(np.asarray(images), axis=-1) * 127.5 + 127.5, 0, 255).round().astype(np.uint8)


def image_grid(images, ncols: int, pad: int = 2) -> np.ndarray:
    """Tile images in [-1, 1] into one uint8 array (white padding), row by row."""
    tiles = to_uint8(images)
    n, h, w = tiles.shape
    nrows = -(-n // ncols)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = 255 - tile
    return grid


def plot_samples(images, ncols: int, ax=None, title: str = ""):
    """Show generated or real digits as one grid (dark ink on white)."""
    ax = ax or plt.gca()
    ax.imshow(image_grid(images, ncols), cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    ax.set_title(title)
    return ax


def save_sample_frame(images, path: Path, title: str = "") -> Path:
    """Save a 3x3 grid of samples as a PNG without touching pyplot's state (used during training)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(3, 3.2))
    plot_samples(images, ncols=3, ax=fig.add_subplot(), title=title)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    return path


FRAME_NAME = re.compile(r"epoch_(\d+)\.png")  # a sample frame; the temporary file of a frame write never matches


def frame_path(frames_dir: Path, epoch: int) -> Path:
    return Path(frames_dir) / f"epoch_{epoch:03d}.png"


def frames_by_epoch(frames_dir: Path) -> dict[int, Path]:
    """``{epoch: path}`` of the sample frames in ``frames_dir``, in epoch order."""
    found = {int(m.group(1)): p for p in Path(frames_dir).glob("epoch_*.png") if (m := FRAME_NAME.fullmatch(p.name))}
    return dict(sorted(found.items()))


def frame_paths(frames_dir: Path) -> list[Path]:
    return list(frames_by_epoch(frames_dir).values())


def draw_frame(generator, noise, frames_dir: Path, epoch: int) -> Path:
    """The 3x3 grid of ``noise`` after ``epoch`` epochs, written atomically (a temporary file of this process, then
    ``os.replace``): a kill leaves the old frame or none, never half a PNG that the GIF and the evolution figure
    would fail on. The temporary file of a killed write is removed by the next run (:func:`repair_frames`)."""
    images = generator(noise, training=False).numpy()
    path = frame_path(frames_dir, epoch)
    tmp = temp_path(path)  # ends in .png, as matplotlib needs; never matches epoch_*.png
    try:
        save_sample_frame(images, tmp, title=f"epoch {epoch}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def readable_image(path: Path) -> bool:
    """Whether PIL can decode all of ``path`` (what the GIF and the evolution figure do with a frame)."""
    try:
        with Image.open(path) as image:
            image.load()
    except Exception:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError... for a damaged file
        return False
    return True


def repair_frames(frames_dir: Path, epoch: int, generator, noise, gif_path: Path | None = None) -> dict:
    """Before a run continues from (or reloads) the state of ``epoch``: remove the temporary files of killed frame
    writes, redraw the frame of ``epoch`` itself if it is missing or cannot be read (``generator`` holds that
    epoch's weights, so it is the frame an uninterrupted run drew) and drop earlier frames that cannot be read
    (their networks are gone: the GIF and the evolution figure skip those epochs). If any frame changed, the GIF
    made from the old ones is deleted. Returns ``{"redrawn": [...], "dropped": [...]}`` (epochs)."""
    remove_stale_temp_files(Path(frames_dir))
    frames = frames_by_epoch(frames_dir)
    dropped = [e for e, path in frames.items() if e < epoch and not readable_image(path)]
    for e in dropped:
        frames[e].unlink()
    redrawn = [epoch] if epoch > 0 and (epoch not in frames or not readable_image(frames[epoch])) else []
    if redrawn:
        draw_frame(generator, noise, frames_dir, epoch)
        print(
            f"Redrew the sample frame of epoch {epoch} in {config.shown(frames_dir)} (a kill left it missing or cut)."
        )
    if dropped:
        print(
            f"Dropped the unreadable sample frames of epochs {dropped} in {config.shown(frames_dir)} (a write was "
            "cut short); the GIF and the evolution figure skip them. Train from scratch (retrain=True) to redraw them."
        )
    if (redrawn or dropped) and gif_path is not None:
        Path(gif_path).unlink(missing_ok=True)
    return {"redrawn": redrawn, "dropped": dropped}


def clear_frames(frames_dir: Path | None, after_epoch: int = 0, gif_path: Path | None = None) -> None:
    """Delete the sample frames of epochs after ``after_epoch`` (all of them for 0) and the GIF made from them,
    so that no figure mixes two runs."""
    for epoch, frame in frames_by_epoch(frames_dir).items() if frames_dir is not None else ():
        if epoch > after_epoch:
            frame.unlink()
    if gif_path is not None:
        Path(gif_path).unlink(missing_ok=True)


def plot_evolution(frames_dir: Path, epochs=(5, 20, 40, 50)):
    """The report's Figure 2: the fixed-noise grid at several epochs, side by side."""
    available = frames_by_epoch(frames_dir)
    if not available:
        raise FileNotFoundError(
            f"No epoch_*.png frames in {config.shown(frames_dir)}: they are drawn while the DCGAN trains. "
            "Train it into this run's folder (RETRAIN = True) to draw them."
        )
    chosen = [e for e in epochs if e in available]
    if len(chosen) < len(epochs):  # a shorter run: up to four epochs spread over what it has
        have = sorted(available)
        chosen = sorted({have[round(i)] for i in np.linspace(0, len(have) - 1, min(len(epochs), len(have)))})
    fig, axes = plt.subplots(1, len(chosen), figsize=(3 * len(chosen), 3.3), squeeze=False)
    for ax, epoch in zip(axes[0], chosen, strict=True):
        ax.imshow(Image.open(available[epoch]))
        ax.set_axis_off()
    return fig


def moving_average(values, window: int) -> np.ndarray:
    """The mean of each ``window`` consecutive values (shorter at the start), as long as ``values``."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    starts = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


def plot_gan_losses(history: dict, ax=None, window: int | None = None, title: str = "DCGAN training losses"):
    """The report's Figure 3: generator and discriminator loss for every batch (faint) and their moving average
    over ``window`` batches (default: one epoch)."""
    ax = ax or plt.gca()
    window = window or max(1, len(history["g_loss"]) // max(1, len(history.get("epoch_seconds", []))))
    for key, name, colour in (("g_loss", "generator", "tab:blue"), ("d_loss", "discriminator", "tab:orange")):
        ax.plot(history[key], lw=0.4, alpha=0.3, color=colour)
        ax.plot(moving_average(history[key], window), lw=1.6, color=colour, label=f"{name} (mean of {window} batches)")
    ax.set(xlabel="batch", ylabel="loss", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


GIF_MIN_WIDTH = 400  # pixels


def make_gif(frames_dir: Path, path: Path, duration_ms: int = 200, min_width: int = GIF_MIN_WIDTH) -> Path:
    """An animated GIF of every epoch's sample grid, each frame enlarged by a whole factor (nearest neighbour,
    so every pixel stays sharp) to at least ``min_width`` pixels."""
    frames = [Image.open(p).convert("RGB") for p in frame_paths(frames_dir)]
    if not frames:
        raise FileNotFoundError(f"No epoch_*.png frames in {config.shown(frames_dir)}: train the DCGAN first.")
    factor = -(-min_width // frames[0].size[0])
    size = (frames[0].size[0] * factor, frames[0].size[1] * factor)
    frames = [f.resize(size, Image.Resampling.NEAREST) for f in frames]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def show_gif(path: Path):
    """The GIF ``path`` for a notebook, embedded as an HTML ``<img>`` with its bytes: animated in Jupyter and in
    an HTML export (nbconvert drops ``image/gif`` outputs and would print the object instead)."""
    import base64

    from IPython.display import HTML

    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    width = Image.open(path).size[0]
    return HTML(f'<img src="data:image/gif;base64,{data}" width="{width}" alt="{Path(path).name}">')


def plot_class_histogram(fractions, ax=None, title: str = "predicted class of generated digits"):
    """Share of generated digits per judged class, with the 5% / 20% mode-collapse bounds."""
    ax = ax or plt.gca()
    ax.bar(range(config.NUM_CLASSES), fractions, color="tab:blue", label="generated digits")
    low, high = config.MODE_COLLAPSE_BOUNDS
    ax.axhline(1 / config.NUM_CLASSES, color="k", lw=0.8, label=f"uniform ({1 / config.NUM_CLASSES:.0%})")
    ax.axhline(low, color="gray", ls="--", lw=1, label=f"mode-collapse bounds ({low:.0%}, {high:.0%})")
    ax.axhline(high, color="gray", ls="--", lw=1)
    ax.set(xticks=range(config.NUM_CLASSES), xlabel="digit (judge's prediction)", ylabel="fraction", title=title)
    ax.legend(loc="upper right", fontsize=8)
    return ax


def confusion_grid(y_true, predictions: dict, titles: dict, ncols: int = 2):
    """One figure: each model's confusion matrix (``predictions`` and ``titles`` keyed alike), no colour bars."""
    nrows = -(-len(predictions) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6 * ncols, 5.25 * nrows), squeeze=False)
    for ax, (key, y_pred) in zip(axes.flat, predictions.items(), strict=False):
        plot_confusion(y_true, y_pred, ax, title=titles[key], cbar=False)
    fig.tight_layout()
    return fig


def misclassified_figure(images, y_true, y_pred, title: str, n: int = 30, ncols: int = 10):
    """:func:`plot_misclassified` with a title, laid out."""
    fig = plot_misclassified(images, y_true, y_pred, n=n, ncols=ncols)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_misclassified(images, y_true, y_pred, n: int = 20, ncols: int = 10, fig=None):
    """A gallery of the first ``n`` misclassified digits, titled "true→predicted"."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))[:n]
    nrows = max(1, -(-len(wrong) // ncols))
    fig = fig or plt.figure(figsize=(1.3 * ncols, 1.5 * nrows))
    for i, idx in enumerate(wrong):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.imshow(np.squeeze(images[idx]), cmap="gray_r")
        ax.set_title(f"{y_true[idx]}→{y_pred[idx]}", fontsize=9)
        ax.set_axis_off()
    return fig
