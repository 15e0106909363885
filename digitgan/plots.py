"""The study's figures in one style (:data:`STYLE`), each built at its printed size, saved unscaled at 100 dpi."""

import functools
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from digitgan import config
from digitgan.fileio import atomic_write

STYLE = Path(__file__).with_name("digitgan.mplstyle")  # font sizes (none under 9 pt), grid, layout, legend
_CELL_FONT = 9.5  # points: the numbers in a confusion matrix's cells
WIDTH, WIDE, MAX_WIDTH, HEIGHT = 7.0, 8.0, 8.5, 3.4  # inches: full width, legend beside, widest; a row of plots
_CONFUSION_SIZE = (5.4, 4.9)  # inches: one 10x10 confusion matrix with its colour bar
LEGEND_BESIDE = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}  # outside, right
GAN_LOSSES = (("g_loss", "generator", "tab:blue"), ("d_loss", "discriminator", "tab:orange"))  # key, name, colour
_CONFUSION_SCALE = "% of the true digit's images"
_PROBABILITY_COLOURS = {"predicted, right": "tab:blue", "predicted, wrong": "tab:red", "other digits": "lightgray"}
_DIGITS = range(config.NUM_CLASSES)


def styled(make):
    """Decorate a figure function: build and draw the figure in :data:`STYLE`."""

    @functools.wraps(make)
    @plt.style.context(str(STYLE))
    def figure_in_style(*args, **kwargs):
        (fig := make(*args, **kwargs)).canvas.draw()
        return fig

    return figure_in_style


def accuracy_axis(ax, values, label: str, axis: str = "y") -> str:
    """Limit an accuracy axis (not of bars) to ``values``, at most 1.0, from 0 or a round value the label names."""
    v = np.asarray([x for x in np.ravel(values) if x is not None and not pd.isna(x)], dtype=float)
    low, high = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    span, step = max(high - low, 0.01), 10 ** np.floor(np.log10(max(high - low, 0.01)))
    start = round(float(np.floor((low - 0.1 * span) / step) * step), 6)
    start = start if start >= 0.5 else 0.0
    text = label if start == 0 else f"{label}{' ' if len(label) < 24 else chr(10)}(axis from {start:g})"
    ax.set(**{f"{axis}lim": (start, min(1.0, high + 0.08 * (high - start))), f"{axis}label": text})
    return text


def _wrap(text: str, width_in: float, size: float = 11) -> str:
    """``text`` broken into lines that fit ``width_in`` inches at ``size`` points (about 0.55 em a character)."""
    return "\n".join(textwrap.fill(line, max(12, int(width_in * 72 / (0.55 * size)))) for line in text.split("\n"))


def suptitle(fig, title: str):
    """``title`` over the whole figure, wrapped to its width."""
    return fig.suptitle(_wrap(title, fig.get_figwidth() - 0.3, 12))


def titled(fig, ax, title: str):
    """``fig`` with ``title`` over it and the legend of ``ax`` beside it."""
    suptitle(fig, title)
    ax.legend(**LEGEND_BESIDE)
    return fig


def show(fig) -> None:
    """Show ``fig`` in the notebook without saving it (a glance at the data, not a figure of the study)."""
    plt.show()


def save_fig(path: Path, fig) -> Path:
    """Save ``fig`` as the PNG ``path``, whole or not at all."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png"))


@styled
def accuracy_figure(history: dict, title: str, phase_boundary: int | None = None):
    """Train and test accuracy per epoch; a dashed line marks where the layers were unfrozen."""
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    epochs = np.arange(1, len(history["accuracy"]) + 1)
    ax.plot(epochs, history["accuracy"], "o-", label="train")
    ax.plot(epochs, history["val_accuracy"], "s-", label="test")
    if phase_boundary:
        ax.axvline(phase_boundary + 0.5, color="gray", ls="--", label=f"unfrozen after epoch {phase_boundary}")
    accuracy_axis(ax, [*history["accuracy"], *history["val_accuracy"]], "accuracy")
    ax.set(xlabel="epoch", xticks=epochs if len(epochs) <= 20 else epochs[:: -(-len(epochs) // 20)])
    return titled(fig, ax, title)


def _draw_confusion(ax, y_true, y_pred):
    """The confusion matrix on ``ax`` in % of each true digit, every cell's number written; the image."""
    share = 100 * confusion_matrix(y_true, y_pred, labels=_DIGITS, normalize="true")
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=100)
    for (true, predicted), value in np.ndenumerate(share):
        ink = "white" if value > 55 else "black"
        ax.text(predicted, true, f"{value:.0f}", ha="center", va="center", fontsize=_CELL_FONT, color=ink)
    ax.set(xticks=_DIGITS, yticks=_DIGITS, xlabel="predicted digit", ylabel="true digit")
    ax.tick_params(length=0)
    ax.grid(False)
    ax.spines[:].set_visible(False)
    return image


@styled
def confusion_figure(y_true, y_pred, title: str):
    """The confusion matrix in % of each true digit, with its colour bar; the title says how many images."""
    fig, ax = plt.subplots(figsize=_CONFUSION_SIZE)
    fig.colorbar(_draw_confusion(ax, y_true, y_pred), ax=ax, shrink=0.85, label=_CONFUSION_SCALE)
    ax.set_title(_wrap(f"{title}\n{len(y_true):,} images; each row: % of one true digit", _CONFUSION_SIZE[0]))
    return fig


def most_confused(y_true, y_pred, k: int = 5) -> pd.DataFrame:
    """The ``k`` most frequent (true, predicted) mistakes, with counts and share of that true digit."""
    counts = confusion_matrix(y_true, y_pred, labels=_DIGITS)
    true, predicted = np.nonzero(counts * (1 - np.eye(len(_DIGITS), dtype=int)))
    table = pd.DataFrame({"true": true, "predicted": predicted, "count": counts[true, predicted]})
    table["rate"] = table["count"] / counts.sum(axis=1)[true]
    return table.sort_values(["count", "true"], ascending=[False, True]).head(k).reset_index(drop=True)


@styled
def digit_probabilities_figure(images, probs, y_true, title: str):
    """The first test digit and the first one misclassified, each beside its class probabilities."""
    wrong = np.flatnonzero(np.argmax(probs, axis=1) != np.asarray(y_true))
    chosen = [0, *wrong[:1].tolist()]
    size = (WIDTH, 2.6 * len(chosen) + 0.9)
    fig, axes = plt.subplots(len(chosen), 2, figsize=size, squeeze=False, width_ratios=(1, 2.2))
    for (ax_img, ax_bar), i in zip(axes, chosen, strict=True):
        true, predicted = int(y_true[i]), int(np.argmax(probs[i]))
        ax_img.imshow(np.squeeze(images[i]), cmap="gray_r")
        ax_img.set_axis_off()
        ax_img.set_title(f"true: {true}")
        bars = ax_bar.bar(_DIGITS, probs[i], color=_PROBABILITY_COLOURS["other digits"])
        bars[predicted].set_color(_PROBABILITY_COLOURS["predicted, right" if predicted == true else "predicted, wrong"])
        title_bar = f"predicted: {predicted} (p = {probs[i][predicted]:.2f})"
        ax_bar.set(xticks=_DIGITS, ylim=(0, 1), xlabel="digit", ylabel="probability", title=title_bar)
        ax_bar.grid(axis="x", visible=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in _PROBABILITY_COLOURS.values()]
    fig.legend(handles, _PROBABILITY_COLOURS, loc="outside lower center", ncol=3)
    suptitle(fig, title)
    return fig


def image_grid(images, ncols: int, pad: int = 2) -> np.ndarray:
    """Tile images in [-1, 1] into one uint8 array (dark ink on white padding ``pad`` wide), row by row."""
    tiles = np.clip(np.squeeze(np.asarray(images), axis=-1) * 127.5 + 127.5, 0, 255).round().astype(np.uint8)
    (n, h, w), rows = tiles.shape, -(-len(tiles) // ncols)
    tiles = np.pad(255 - tiles, ((0, rows * ncols - n), (pad, 0), (pad, 0)), constant_values=255)
    grid = tiles.reshape(rows, ncols, h + pad, w + pad).transpose(0, 2, 1, 3).reshape(rows * (h + pad), -1)
    return np.pad(grid, ((0, pad), (0, pad)), constant_values=255)


def draw_samples(images, ncols: int, ax, title: str = ""):
    """Digits as one grid (dark ink on white), no axes."""
    ax.imshow(image_grid(images, ncols), cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    ax.set_title(title)


@styled
def samples_figure(images, ncols: int, title: str):
    """Digits (in [-1, 1]) as one grid of ``ncols`` columns, about half an inch a digit (at most :data:`WIDTH`)."""
    width = float(np.clip(0.5 * ncols, 2.4, WIDTH))
    fig, ax = plt.subplots(figsize=(width, width * -(-len(images) // ncols) / ncols + 0.5))
    draw_samples(images, ncols, ax, _wrap(title, width))
    return fig


@styled
def gan_losses_figure(history: dict):
    """The report's Figure 3: both losses every batch (faint) and their moving average over an epoch's batches."""
    batches, epochs = len(history["g_loss"]), len(history.get("epoch_seconds", []))
    window = max(1, batches // max(1, epochs))
    fig, ax = plt.subplots(figsize=(WIDE, HEIGHT))
    for key, name, colour in GAN_LOSSES:
        ax.plot(history[key], lw=0.4, alpha=0.3, color=colour)
        ax.plot(pd.Series(history[key], dtype=float).rolling(window, 1).mean(), lw=1.6, color=colour, label=name)
    ax.set(xlabel="batch", ylabel="loss")
    suptitle(fig, f"DCGAN training losses over {epochs} epochs ({batches:,} batches)")
    ax.legend(title=f"mean of {window} batches\n(faint: every batch)", alignment="left", **LEGEND_BESIDE)
    return fig


@styled
def class_histogram_figure(fractions, title: str):
    """Share of generated digits per judged class, with the uniform share and the mode-collapse bounds."""
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    ax.bar(_DIGITS, fractions, color="tab:blue", label="generated digits")
    low, high = config.MODE_COLLAPSE_BOUNDS
    ax.axhline(1 / config.NUM_CLASSES, color="k", lw=0.8, label=f"uniform ({1 / config.NUM_CLASSES:.0%})")
    for bound, label in ((low, f"mode-collapse\nbounds ({low:.0%}, {high:.0%})"), (high, None)):
        ax.axhline(bound, color="gray", ls="--", lw=1, label=label)
    ax.yaxis.set(major_locator=plt.MultipleLocator(0.05), major_formatter=plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set(ylim=(0, max(high, *fractions) * 1.1), xticks=_DIGITS, xlabel="digit (judge's prediction)")
    ax.set_ylabel("share of the images")
    ax.grid(axis="x", visible=False)
    return titled(fig, ax, title)


@styled
def confusion_grid_figure(y_true, predictions: dict, titles: dict):
    """Each model's confusion matrix in % of each true digit, two a row, one colour bar for all."""
    nrows = -(-len(predictions) // 2)
    fig, axes = plt.subplots(nrows, 2, figsize=(MAX_WIDTH, 4.05 * nrows + 0.6), squeeze=False)
    for i, (ax, (key, y_pred)) in enumerate(zip(axes.flat, predictions.items(), strict=False)):
        image = _draw_confusion(ax, y_true, y_pred)
        ax.set(title=titles[key], ylabel="" if i % 2 else "true digit")
    for ax in axes.flat[len(predictions) :]:
        ax.set_axis_off()
    fig.colorbar(image, ax=axes, shrink=0.5, label=_CONFUSION_SCALE)
    fig.suptitle(f"Confusion matrices on {len(y_true):,} test images (each row: % of one true digit)")
    return fig


@styled
def misclassified_figure(images, y_true, y_pred, title: str):
    """The first 30 misclassified digits, ten a row, each titled "true→predicted"; the title says how many mistakes."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))
    shown, nrows = wrong[:30], max(1, -(-len(wrong[:30]) // 10))
    fig = plt.figure(figsize=(0.72 * 10, 0.9 * nrows + 0.8))
    for i, idx in enumerate(shown):
        ax = fig.add_subplot(nrows, 10, i + 1)
        ax.imshow(np.squeeze(images[idx]), cmap="gray_r")
        ax.set_title(f"{y_true[idx]}→{y_pred[idx]}", fontsize=_CELL_FONT, pad=2)
        ax.set_axis_off()
    mistakes = f"the first {len(shown)} of {len(wrong):,} mistakes on {len(y_true):,} images (true→predicted)"
    fig.suptitle(_wrap(f"{title}: {mistakes}", 0.72 * 10, 12))
    return fig
