"""Figures of the extensions (07-11) in the study's style (:mod:`digitgan.plots`), from a table or history each."""

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from digitgan import config
from digitgan.plots import GAN_LOSSES, HEIGHT, LEGEND_BESIDE, MAX_WIDTH, WIDE, accuracy_axis, styled, suptitle, titled

_NBSP = "\u00a0"  # a space that textwrap never breaks at: "(n = 3)" stays on one line


def _ends(mean, std) -> list:
    return [*(mean - std), *(mean + std)]


@styled
def ssgan_curves_figure(history: dict, title: str, references: tuple = ()):
    """Validation accuracy per epoch (averaged and raw weights), the kept epoch, training accuracy, ``references``."""
    fig, ax = plt.subplots(figsize=(WIDE, HEIGHT))
    epochs = np.arange(1, len(history["val_accuracy"]) + 1)
    train = 1 - np.asarray(history["train_error"])
    ax.plot(epochs, history["val_accuracy"], "o-", ms=3, label="validation (averaged weights)")
    ax.plot(epochs, history["val_accuracy_raw"], ".--", alpha=0.7, label="validation (raw weights)")
    ax.plot(epochs, train, ":", label="train (labelled batches)")
    if best := history.get("best"):
        label = f"kept: epoch {best['epoch']} ({best['weights']})"
        ax.axvline(best["epoch"], color="k", lw=0.8, alpha=0.5, label=label)
    for ref, style in zip(references, ("--", ":", "-."), strict=False):
        label = f"{ref['label']}: {ref['test_accuracy']:.2%} (test)"
        ax.axhline(ref["test_accuracy"], color="gray", ls=style, lw=1, label=label)
    values = [*history["val_accuracy"], *history["val_accuracy_raw"], *train, *(r["test_accuracy"] for r in references)]
    accuracy_axis(ax, values, "accuracy")
    ax.set(xlabel="epoch", title="")
    return titled(fig, ax, title)


@styled
def ssgan_sweep_figure(sweep: pd.DataFrame, title: str):
    """Validation accuracy (averaged weights) per epoch for each learning rate tried, the chosen one marked."""
    fig, ax = plt.subplots(figsize=(WIDE, HEIGHT))
    for _, row in sweep.iterrows():
        chosen = "\n(chosen)" * row["chosen"]
        label = f"learning rate {row['learning_rate']:g}:\nbest {row['val_accuracy']:.4f}{chosen}"
        ax.plot(np.arange(1, len(row["val_curve"]) + 1), row["val_curve"], "-" if row["chosen"] else "--", label=label)
    accuracy_axis(ax, [v for curve in sweep["val_curve"] for v in curve], "validation accuracy (averaged weights)")
    ax.set(xlabel="epoch")
    return titled(fig, ax, title)


@styled
def label_efficiency_figure(table: pd.DataFrame, labels: dict | None = None, title: str = ""):
    """Mean test accuracy (± one standard deviation over seeds) against the number of labels, log x-axis."""
    fig, ax = plt.subplots(figsize=(WIDE, HEIGHT + 0.4))
    for method, part in table.groupby("method", observed=True):
        runs = sorted(set(part["runs"]))
        n = f"n{_NBSP}={_NBSP}{runs[0]}" + (f"-{runs[-1]}" if len(runs) > 1 else "")
        name = textwrap.fill(f"{(labels or {}).get(method, method)} ({n})", 32)
        ax.errorbar(part["n_labels"], part["mean"], yerr=part["std"].fillna(0), marker="o", capsize=4, label=name)
    accuracy_axis(ax, _ends(table["mean"], table["std"].fillna(0)), "test accuracy (10,000 images)")
    ax.set(xscale="log", xlabel="labelled training images", xticks=sorted(table["n_labels"].unique()))
    ax.get_xaxis().set_major_formatter(plt.FuncFormatter(lambda v, _: f"{int(v):,}"))
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    return titled(fig, ax, title)


@styled
def longer_gan_figure(table: pd.DataFrame, label_counts, spread: dict | None = None):
    """Per label count, trial 3's test accuracy against the DCGAN's epochs, the other GANs' (``spread``), the CNN's."""
    fig, axes = plt.subplots(len(label_counts), 1, figsize=(WIDE, 2.9 * len(label_counts) + 0.7), squeeze=False)
    spread = spread or {}
    for ax, n in zip(axes[:, 0], label_counts, strict=True):
        trial3 = table[(table["model"] == "trial3") & (table["n_labels"] == n)].sort_values("gan_epochs")
        cnn = table[(table["model"] == "cnn") & (table["n_labels"] == n)].iloc[0]
        runs, std, epochs = int(trial3["runs"].min()), trial3["std"].fillna(0), trial3["gan_epochs"].astype(int)
        label = f"trial 3 on the DCGAN's\ndiscriminator (n = {runs})"
        ax.errorbar(epochs, trial3["mean"], yerr=std, marker="o", capsize=4, label=label)
        values = _ends(trial3["mean"], std)
        seeds, stages = [str(g) for g in spread.get("gan_seeds", [])[1:]], spread.get("stages", {})
        points = [(int(e), s["trial3"][str(n)][g]) for e, s in stages.items() if str(n) in s["trial3"] for g in seeds]
        if points:
            label = f"trial 3 on other GANs\n(seeds {', '.join(seeds)}; mean of {runs})"
            ax.plot(*zip(*points, strict=True), "o", mfc="none", color="tab:purple", ls="none", label=label)
            values += [p[1] for p in points]
        cnn_std = 0.0 if pd.isna(cnn["std"]) else cnn["std"]
        label = f"CNN, same images:\n{cnn['mean']:.4f} ± {cnn_std:.4f} (n = {int(cnn['runs'])})"
        ax.axhline(cnn["mean"], color="gray", ls="--", label=label)
        ax.axhspan(cnn["mean"] - cnn_std, cnn["mean"] + cnn_std, color="gray", alpha=0.15)
        accuracy_axis(ax, [*values, cnn["mean"] - cnn_std, cnn["mean"] + cnn_std], "test accuracy")
        ax.set(xlabel="DCGAN training epochs", title=f"{n:,} labelled images", xticks=epochs)
        ax.legend(**LEGEND_BESIDE)
    title = "Trial 3's test accuracy (10,000 test images) against the DCGAN's training epochs,\n"
    fig.suptitle(title + "mean ± std over classifier seeds")
    return fig


@styled
def epoch_losses_figure(losses: dict, title: str):
    """The generator's and discriminator's mean loss of every epoch (``losses``: ``g_loss``/``d_loss`` lists)."""
    fig, ax = plt.subplots(figsize=(WIDE, HEIGHT))
    for key, name, colour in GAN_LOSSES:
        ax.plot(range(1, len(losses[key]) + 1), losses[key], lw=1.4, color=colour, label=name)
    ax.set(xlabel="epoch", ylabel="mean loss of the epoch")
    return titled(fig, ax, title)


@styled
def protocols_figure(cells: list[dict], title: str):
    """Test accuracy (mean ± std over seeds) per optimizer, data size and protocol, one marker per model."""
    keys = {(c["protocol"], c["n_train"], c["optimizer"]) for c in cells}
    keys = sorted(keys, key=lambda k: (k[0] == "modern", k[1], ("sgd", "momentum", "adam").index(k[2])))
    models = sorted({c["model"] for c in cells})
    offset = 0.24 / max(1, len(models) - 1)
    fig, ax = plt.subplots(figsize=(WIDE, HEIGHT + 0.4))
    for i, model in enumerate(models):
        found = {(c["protocol"], c["n_train"], c["optimizer"]): c for c in cells if c["model"] == model}
        xs = [j for j, k in enumerate(keys) if k in found]
        ran = [found[keys[j]] for j in xs]
        name = textwrap.fill(f"{config.NAMES.get(model, model)} (n{_NBSP}={_NBSP}{min(c['runs'] for c in ran)})", 22)
        x = np.array(xs) + (i - (len(models) - 1) / 2) * offset
        means, stds = [c["mean"] for c in ran], [c["std"] or 0.0 for c in ran]
        ax.errorbar(x, means, yerr=stds, capsize=3, ls="none", marker="osD^"[i % 4], ms=6, label=name)
    names = [f"{o}\n{n // 1000}k" + ("\nmodern" if p == "modern" else "") for p, n, o in keys]
    ax.set(xticks=np.arange(len(keys)), xticklabels=names, xlim=(-0.5, len(keys) - 0.5))
    ends = [c["mean"] + s * (c["std"] or 0.0) for c in cells for s in (-1, 1)]
    accuracy_axis(ax, ends, "test accuracy (10,000 images)")
    ax.grid(axis="x", visible=False)
    return titled(fig, ax, title)


@styled
def arms_figure(table: pd.DataFrame, title: str):
    """Each training set's test accuracy (mean ± std, the numbers on the right), the real arm's mean as a line."""
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 0.48 * len(table) + 1.3))
    ys, std = np.arange(len(table))[::-1], table["std"].fillna(0)
    ax.errorbar(table["mean"], ys, xerr=std, capsize=4, marker="o", ls="none", color="tab:blue")
    if "real" in table.index:
        ax.axvline(table.loc["real", "mean"], color="gray", ls="--", lw=1, label="mean of real 10k only")
        fig.legend(loc="outside lower center")
    ax.set(yticks=ys, yticklabels=[textwrap.fill(str(name), 34) for name in table.index], ylim=(-0.6, len(table) - 0.4))
    values = ax.secondary_yaxis("right")
    numbers = zip(table["mean"], std, table["runs"], strict=True)
    values.set_yticks(ys, [f"{m:.4f} ± {s:.4f} (n = {int(r)})" for m, s, r in numbers])
    values.tick_params(length=0)
    accuracy_axis(ax, _ends(table["mean"], std), "test accuracy (10,000 real images)", axis="x")
    suptitle(fig, title)
    ax.grid(axis="y", visible=False)
    return fig
