"""Every figure function, rendered with small synthetic inputs (Agg), reads at its printed size: no text under 9 pt,
a colour bar beside every heatmap, accuracy axes within [0, 1] (bars from 0, or a label that says where the axis
starts), legends off the data, a title on every figure, and the evolution figure naming its epochs. The notebooks
hold no matplotlib code: each figure is one call to one of these functions."""

from __future__ import annotations

import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from digitgan import config, frames, plots  # noqa: E402
from digitgan.extensions import (
    charts,  # noqa: E402
    constants,
)

MIN_PT = 9
RNG = np.random.default_rng(0)


# --- synthetic inputs ------------------------------------------------------------------------------------------


def _labels(n=300, error=0.1):
    y_true = RNG.integers(0, 10, n)
    y_pred = np.where(RNG.random(n) < error, RNG.integers(0, 10, n), y_true)
    return y_true, y_pred


def _images(n):
    return RNG.uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


def _history(epochs=6):
    acc = np.linspace(0.9, 0.995, epochs)
    return {"accuracy": acc.tolist(), "val_accuracy": (acc - 0.01).tolist(), "loss": [0.3] * epochs}


def _frames(tmp_path, epochs=(1, 5, 20, 40, 50)):
    folder = tmp_path / "frames"
    for epoch in epochs:
        frames.draw_frame(lambda noise, training: _images(9), None, folder, epoch)
    return folder


def _cells():
    rows = []
    for model, base in (("cnn", 0.98), ("trial3", 0.95)):
        for protocol, n, optimizer in [("original", 10_000, o) for o in ("sgd", "momentum", "adam")] + [
            ("original", 60_000, "adam"),
            ("modern", 10_000, "adam"),
        ]:
            rows.append({"model": model, "protocol": protocol, "n_train": n, "optimizer": optimizer, "runs": 3,
                         "mean": base + RNG.uniform(0, 0.01), "std": 0.001})  # fmt: skip
    return rows


def _longer_table():
    rows = [{"model": "cnn", "gan_epochs": pd.NA, "n_labels": n, "mean": m, "std": 0.002, "runs": 3}
            for n, m in ((10_000, 0.959), (1_000, 0.937))]  # fmt: skip
    rows += [{"model": "trial3", "gan_epochs": e, "n_labels": n, "mean": m + e / 10_000, "std": 0.003, "runs": 3}
             for e in (25, 50, 100) for n, m in ((10_000, 0.935), (1_000, 0.9))]  # fmt: skip
    return pd.DataFrame(rows)


SPREAD = {"gan_seeds": [42, 43], "stages": {"25": {"trial3": {"10000": {"42": 0.935, "43": 0.93},
                                                               "1000": {"42": 0.9, "43": 0.905}}}}}  # fmt: skip


def _label_table():
    rows = [{"method": m, "n_labels": n, "mean": acc, "std": 0.01, "runs": 3}
            for m, shift in (("cnn", 0.0), ("ssgan", 0.1)) for n, acc in ((100, 0.7 + shift), (1000, 0.85 + shift / 2),
                                                                           (10_000, 0.96))]  # fmt: skip
    return pd.DataFrame(rows)


def _arms():
    names = ["real", "real + classical augmentation", "generated 60k (real CNN agrees, dropout recipe, noise x 1.3)"]
    return pd.DataFrame({"mean": [0.9845, 0.9865, 0.9725], "std": [0.001, 0.0009, 0.0004], "runs": [3, 3, 3]},
                        index=names)  # fmt: skip


SSGAN_HISTORY = {
    "val_accuracy": [0.5, 0.9, 0.97, 0.985],
    "val_accuracy_raw": [0.45, 0.88, 0.96, 0.98],
    "train_error": [0.4, 0.05, 0.0, 0.0],
    "best": {"epoch": 4, "weights": "averaged"},
}

FIGURES = {
    "accuracy": lambda tmp: plots.accuracy_figure(_history(), "CNN: accuracy per epoch", phase_boundary=3),
    "confusion": lambda tmp: plots.confusion_figure(*_labels(), "CNN: confusion on the test set"),
    "confusion_grid": lambda tmp: plots.confusion_grid_figure(
        _labels()[0],
        {k: _labels()[1] for k in ("cnn", "trial1", "trial2", "trial3")},
        {k: config.NAMES[k] for k in ("cnn", "trial1", "trial2", "trial3")},
    ),  # fmt: skip
    "digit_probabilities": lambda tmp: plots.digit_probabilities_figure(
        _images(5), RNG.dirichlet(np.ones(10), 5), np.array([0, 1, 2, 3, 4]), "CNN: class probabilities"
    ),
    "samples_100": lambda tmp: plots.samples_figure(_images(100), 10, "DCGAN: 100 samples after 50 epochs"),
    "samples_1": lambda tmp: plots.samples_figure(_images(1), 1, "untrained generator: one sample"),
    "samples_row": lambda tmp: plots.samples_figure(_images(20), 20, "20 of the 100 labelled images"),
    "evolution": lambda tmp: frames.plot_evolution(_frames(tmp)),
    "gan_losses": lambda tmp: plots.gan_losses_figure(
        {"g_loss": RNG.random(200).tolist(), "d_loss": RNG.random(200).tolist(), "epoch_seconds": [1.0] * 4}
    ),
    "class_histogram": lambda tmp: plots.class_histogram_figure(RNG.dirichlet(np.ones(10)), "judged digits"),
    "misclassified": lambda tmp: plots.misclassified_figure(_images(300), *_labels(error=0.3), "Trial 3"),
    "ssgan_curves": lambda tmp: charts.ssgan_curves_figure(SSGAN_HISTORY, "SSGAN", (constants.SSGAN_PAPER,)),
    "ssgan_sweep": lambda tmp: charts.ssgan_sweep_figure(
        pd.DataFrame(
            {
                "learning_rate": [0.003, 0.001],
                "val_accuracy": [0.95, 0.98],
                "chosen": [False, True],
                "val_curve": [[0.5, 0.9, 0.95], [0.6, 0.95, 0.98]],
            }
        ),
        "SSGAN: the learning rate",
    ),  # fmt: skip
    "label_efficiency": lambda tmp: charts.label_efficiency_figure(_label_table(), {"cnn": "CNN"}, "labels"),
    "longer_gan": lambda tmp: charts.longer_gan_figure(_longer_table(), [10_000, 1_000], SPREAD),
    "epoch_losses": lambda tmp: charts.epoch_losses_figure(
        {"g_loss": [1.0, 0.9, 1.1], "d_loss": [1.2, 1.0, 1.1]}, "DCGAN losses over 3 epochs"
    ),  # fmt: skip
    "protocols": lambda tmp: charts.protocols_figure(_cells(), "Test accuracy by optimiser"),
    "arms": lambda tmp: charts.arms_figure(_arms(), "CNN test accuracy by training set"),
}


@pytest.fixture(params=sorted(FIGURES), scope="module")  # built once, read by every check below
def figure(request, tmp_path_factory):
    fig = FIGURES[request.param](tmp_path_factory.mktemp(request.param))
    fig.canvas.draw()
    yield request.param, fig
    plt.close(fig)


# --- what every figure must do (also run on the old figures, to show that they fail) ---------------------------


def _colorbar_axes(fig):
    return [ax for ax in fig.axes if hasattr(ax, "_colorbar")]


def _plot_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]


def _visible(text):
    axes = text.axes
    return text.get_visible() and (axes is None or (axes.get_visible() and (axes.axison or text in axes.texts
                                                                              or text is axes.title)))  # fmt: skip


def small_texts(fig) -> list[str]:
    """Every visible text (ticks, labels, titles, legends, annotations, cell numbers) under 9 pt."""
    found = []
    for text in fig.findobj(Text):
        if text.get_text().strip() and _visible(text):
            if text.get_fontsize() < MIN_PT:
                found.append(f"{text.get_text()!r} at {text.get_fontsize():.1f} pt")
    return found


def _heatmaps(fig):
    """Colour-mapped 2-D images and meshes (not digits drawn in grey, not RGB pictures)."""
    for ax in _plot_axes(fig):
        for artist in ax.get_children():
            if isinstance(artist, QuadMesh | AxesImage) and artist.get_array() is not None:
                if np.ndim(artist.get_array()) == 2 and "gr" not in artist.get_cmap().name.lower():
                    yield artist


def heatmaps_without_colorbar(fig) -> int:
    bars = [ax._colorbar for ax in _colorbar_axes(fig)]
    same = lambda m, c: (m.get_cmap().name == c.mappable.get_cmap().name  # noqa: E731
                         and (m.norm.vmin, m.norm.vmax) == (c.mappable.norm.vmin, c.mappable.norm.vmax))  # fmt: skip
    return sum(1 for m in _heatmaps(fig) if m.colorbar is None and not any(same(m, c) for c in bars))


def accuracy_axis_problems(fig) -> list[str]:
    """An accuracy axis beyond 1.0 or below 0; bars whose value axis does not start at 0; an accuracy axis of
    dots or lines that starts above 0 without its label saying where."""
    problems = []
    for ax in _plot_axes(fig):
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        for which, label, (low, high) in (("y", ax.get_ylabel(), ax.get_ylim()), ("x", ax.get_xlabel(), ax.get_xlim())):
            horizontal = any(c.orientation == "horizontal" for c in bars)
            value_axis = bars and (which == "x") == horizontal
            if value_axis and low != 0:
                problems.append(f"bars on an axis from {low:g} ({label!r})")
            if "accuracy" not in label.lower():
                continue
            if high > 1.0 + 1e-9 or low < -1e-9:
                problems.append(f"accuracy axis {which} from {low:g} to {high:g} ({label!r})")
            said = re.search(r"axis from ([0-9.]+)", label)
            if low > 1e-9 and not (said and abs(float(said.group(1)) - low) < 1e-6):
                problems.append(f"accuracy axis from {low:g}, its label {label!r} does not say so")
    return problems


def _data_artists(ax):
    kinds = (matplotlib.lines.Line2D, matplotlib.collections.Collection, matplotlib.patches.Patch, AxesImage)
    return [a for a in ax.get_children() if isinstance(a, kinds) and a.get_visible() and a is not ax.patch
            and not isinstance(a, matplotlib.spines.Spine)]  # fmt: skip


def legends_on_data(fig) -> list[str]:
    """Legends whose box overlaps the box of a plotted artist in an axes it overlaps."""
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    found = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in _plot_axes(fig):
            if not box.overlaps(ax.get_window_extent(renderer)):
                continue  # outside this axes
            for artist in _data_artists(ax):
                shown = Bbox.intersection(artist.get_window_extent(renderer), ax.bbox)  # the part inside the axes
                if shown is not None and box.overlaps(shown):
                    found.append(f"legend over {type(artist).__name__} {artist.get_label()!r}")
    return found


def titles(fig) -> list[str]:
    found = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    return [t for t in found + [ax.get_title() for ax in fig.axes] if t.strip()]


# --- the tests -------------------------------------------------------------------------------------------------


def test_no_text_under_9_points(figure):
    name, fig = figure
    assert not small_texts(fig), name


def test_figures_fit_a_page(figure):
    name, fig = figure
    assert fig.get_figwidth() <= plots.MAX_WIDTH + 1e-9, name  # shown and printed at its size, not scaled down


def test_every_heatmap_has_a_colour_bar(figure):
    name, fig = figure
    assert heatmaps_without_colorbar(fig) == 0, name


def test_accuracy_axes_within_0_and_1(figure):
    name, fig = figure
    assert not accuracy_axis_problems(fig), name


def test_legends_are_off_the_data(figure):
    name, fig = figure
    assert not legends_on_data(fig), name


def test_every_figure_says_what_it_shows(figure):
    name, fig = figure
    assert titles(fig), name


def test_heatmaps_are_found_and_have_readable_cells():
    fig = FIGURES["confusion"](None)
    fig.canvas.draw()
    assert len(list(_heatmaps(fig))) == 1 and heatmaps_without_colorbar(fig) == 0
    cells = [t for t in fig.axes[0].texts if t.get_text().isdigit()]
    assert len(cells) == 100 and min(t.get_fontsize() for t in cells) >= MIN_PT
    plt.close(fig)


def test_evolution_names_its_epochs(tmp_path):
    fig = frames.plot_evolution(_frames(tmp_path))
    panels = [ax.get_title() for ax in fig.axes]
    assert panels == ["epoch 5", "epoch 20", "epoch 40", "epoch 50"]
    suptitle = fig._suptitle.get_text()
    assert "5, 20, 40 and 50" in suptitle and "of 50" in suptitle
    plt.close(fig)
    short = frames.plot_evolution(_frames(tmp_path / "short", epochs=(1, 2)))  # a short run: the epochs it has
    assert [ax.get_title() for ax in short.axes] == ["epoch 1", "epoch 2"] and "1 and 2" in short._suptitle.get_text()
    plt.close(short)


def test_checks_catch_what_the_issue_measured():
    """The checks fail on what the committed figures did: a truncated bar axis with small ticks and a legend over
    the bars, an accuracy axis to 1.06, 7-pt cell numbers without a colour bar."""
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar([0, 1], [0.95, 0.99], label="CNN")
    ax.set_ylim(0.94, 1.0)
    ax.set_ylabel("test accuracy")
    ax.set_xticks([0, 1], ["sgd", "adam"], fontsize=8)
    ax.legend(loc="lower right")
    fig.canvas.draw()
    assert accuracy_axis_problems(fig) and small_texts(fig) and legends_on_data(fig)
    ax.set_xlim(0.9, 1.06)
    ax.set_xlabel("test accuracy")
    assert any("to 1.06" in p for p in accuracy_axis_problems(fig))
    fig2, ax2 = plt.subplots()
    ax2.imshow(RNG.random((10, 10)), cmap="Blues")
    ax2.text(0, 0, "0.98", fontsize=7)
    fig2.canvas.draw()
    assert heatmaps_without_colorbar(fig2) == 1 and small_texts(fig2)
    plt.close("all")


def test_notebooks_hold_no_matplotlib_code():
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for pattern in ("matplotlib", "plt.", "figsize", "subplots", ".set_title", "ax="):
            assert pattern not in code, f"{path.name}: {pattern}"
