"""Figures of the extensions (07-11): each takes a table or history and returns an ``Axes`` or a figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from digitgan import config


def plot_ssgan_curves(history: dict, ax=None, title: str = "", references: tuple = ()):
    """The SSGAN's validation accuracy per epoch (averaged and raw weights), the kept epoch, and its training
    accuracy on labelled batches, with published test results as labelled reference lines (``references``: dicts
    with ``test_accuracy`` and ``label``)."""
    ax = ax or plt.gca()
    epochs = np.arange(1, len(history["val_accuracy"]) + 1)
    ax.plot(epochs, history["val_accuracy"], "o-", ms=3, label="validation (averaged weights)")
    ax.plot(epochs, history["val_accuracy_raw"], ".--", alpha=0.7, label="validation (raw weights)")
    ax.plot(epochs, 1 - np.asarray(history["train_error"]), ":", label="train (labelled batches)")
    best = history.get("best") or {}
    if best:
        kept = f"kept: epoch {best['epoch']} ({best['weights']})"
        ax.axvline(best["epoch"], color="k", lw=0.8, alpha=0.5, label=kept)
    for ref, style in zip(references, ("--", ":", "-."), strict=False):
        label = f"{ref['label']}: {ref['test_accuracy']:.2%} (test)"
        ax.axhline(ref["test_accuracy"], color="gray", ls=style, lw=1, label=label)
    ax.set(xlabel="epoch", ylabel="accuracy", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_ssgan_sweep(sweep: pd.DataFrame, ax=None, title: str = ""):
    """Validation accuracy (averaged weights) per epoch for each learning rate tried, the chosen one marked."""
    ax = ax or plt.gca()
    for _, row in sweep.iterrows():
        chosen = " (chosen)" if row["chosen"] else ""
        epochs = np.arange(1, len(row["val_curve"]) + 1)
        ax.plot(epochs, row["val_curve"], "-" if row["chosen"] else "--",
                label=f"learning rate {row['learning_rate']:g}: best {row['val_accuracy']:.4f}{chosen}")  # fmt: skip
    ax.set(xlabel="epoch", ylabel="validation accuracy (averaged weights)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return ax


def plot_label_efficiency(table: pd.DataFrame, ax=None, labels: dict | None = None, title: str = ""):
    """Mean test accuracy (± one standard deviation over seeds) against the number of labels, log x-axis."""
    ax = ax or plt.gca()
    for method, part in table.groupby("method", observed=True):
        runs = sorted(set(part["runs"]))
        n = f"n = {runs[0]}" if len(runs) == 1 else f"n = {runs[0]}-{runs[-1]}"
        ax.errorbar(
            part["n_labels"], part["mean"], yerr=part["std"].fillna(0), marker="o", capsize=4,
            label=f"{(labels or {}).get(method, method)} ({n})",
        )  # fmt: skip
    ax.set_xscale("log")
    ax.set(xlabel="labelled training images", ylabel="test accuracy (10,000 images)", title=title)
    ax.set_xticks(sorted(table["n_labels"].unique()))
    ax.get_xaxis().set_major_formatter(plt.FuncFormatter(lambda v, _: f"{int(v):,}"))
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right")
    return ax


def plot_longer_gan(table: pd.DataFrame, n_labels: int, ax=None, title: str = "", spread: dict | None = None):
    """Trial 3's test accuracy (mean ± std over seeds) against the DCGAN's training epochs, with the CNN trained on
    the same images as a reference line and band (mean ± std); with ``spread`` (:func:`longer_gan.spread_summary`),
    the other GANs' trial-3 means at their stages as open markers."""
    ax = ax or plt.gca()
    trial3 = table[(table["model"] == "trial3") & (table["n_labels"] == n_labels)].sort_values("gan_epochs")
    cnn = table[(table["model"] == "cnn") & (table["n_labels"] == n_labels)].iloc[0]
    runs = int(trial3["runs"].min())
    ax.errorbar(trial3["gan_epochs"].astype(int), trial3["mean"], yerr=trial3["std"].fillna(0), marker="o", capsize=4,
                label=f"trial 3 on the DCGAN's discriminator (n = {runs})")  # fmt: skip
    if spread is not None:
        seeds = [g for g in map(str, spread["gan_seeds"]) if g != str(spread["gan_seeds"][0])]
        points = [(int(e), st["trial3"][str(n_labels)][g]) for e, st in spread["stages"].items() for g in seeds
                  if str(n_labels) in st["trial3"]]  # fmt: skip
        if points:
            ax.plot(*zip(*points, strict=True), "o", mfc="none", color="tab:purple", ls="none",
                    label=f"trial 3 on other GANs (seeds {', '.join(seeds)}; mean of {runs})")  # fmt: skip
    cnn_std = 0.0 if pd.isna(cnn["std"]) else cnn["std"]
    label = f"CNN, same images: {cnn['mean']:.4f} (n = {int(cnn['runs'])})"
    ax.axhline(cnn["mean"], color="gray", ls="--", label=label)
    ax.axhspan(cnn["mean"] - cnn_std, cnn["mean"] + cnn_std, color="gray", alpha=0.15)
    ax.set(xlabel="DCGAN training epochs", ylabel="test accuracy (10,000 images)", title=title)
    ax.set_xticks(trial3["gan_epochs"].astype(int))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return ax


def longer_gan_figure(table: pd.DataFrame, label_counts, spread: dict | None = None):
    """One :func:`plot_longer_gan` panel per label count, side by side; returns the figure."""
    fig, axes = plt.subplots(1, len(label_counts), figsize=(6 * len(label_counts), 4), squeeze=False)
    for ax, n in zip(axes[0], label_counts, strict=True):
        plot_longer_gan(table, n, ax, title=f"{n:,} labelled images", spread=spread)
    fig.tight_layout()
    return fig


def plot_epoch_losses(losses: dict, ax=None, title: str = "DCGAN losses, mean of each epoch"):
    """The generator's and discriminator's mean loss of every epoch (``losses``: ``g_loss``/``d_loss`` lists)."""
    ax = ax or plt.gca()
    for key, name, colour in (("g_loss", "generator", "tab:blue"), ("d_loss", "discriminator", "tab:orange")):
        ax.plot(range(1, len(losses[key]) + 1), losses[key], lw=1.4, color=colour, label=name)
    ax.set(xlabel="epoch", ylabel="mean loss of the epoch", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def plot_protocols(cells: list[dict], ax=None, title: str = ""):
    """Test accuracy (mean ± std over seeds) per optimizer, data size and protocol, one bar per model."""
    ax = ax or plt.gca()
    labels = sorted({(c["protocol"], c["n_train"], c["optimizer"]) for c in cells},
                    key=lambda k: (k[0] == "modern", k[1], ("sgd", "momentum", "adam").index(k[2])))  # fmt: skip
    models = sorted({c["model"] for c in cells})
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        found = {(c["protocol"], c["n_train"], c["optimizer"]): c for c in cells if c["model"] == model}
        xs = [j for j, k in enumerate(labels) if k in found]
        means = [found[labels[j]]["mean"] for j in xs]
        stds = [found[labels[j]]["std"] or 0.0 for j in xs]
        runs = min(found[labels[j]]["runs"] for j in xs)
        ax.bar(np.array(xs) + i * width, means, width, yerr=stds, capsize=3,
               label=f"{config.NAMES.get(model, model)} (n = {runs})")  # fmt: skip
    ax.set_xticks(np.arange(len(labels)) + width * (len(models) - 1) / 2)
    ax.set_xticklabels([f"{o}\n{n // 1000}k{', modern' if p == 'modern' else ''}" for p, n, o in labels], fontsize=8)
    low = min(c["mean"] - (c["std"] or 0) for c in cells)
    ax.set_ylim(max(0.0, low - 0.01), 1.0)
    ax.set(ylabel="test accuracy (10,000 images)", title=title)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="lower right")
    return ax


def plot_arms(table: pd.DataFrame, ax=None, title: str = ""):
    """One horizontal bar per training set (mean ± std over seeds, the value and n written beside it), the
    real-only arm's mean as a line; the first arm on top."""
    ax = ax or plt.gca()
    ys = np.arange(len(table))[::-1]
    std = table["std"].fillna(0)
    ax.barh(ys, table["mean"], xerr=std, capsize=4, color="tab:blue", alpha=0.8)
    for y, mean, sd, runs in zip(ys, table["mean"], std, table["runs"], strict=True):
        ax.text(mean + sd + 0.005, y, f"{mean:.4f} (n = {int(runs)})", va="center", fontsize=8)
    if "real" in table.index:
        ax.axvline(table.loc["real", "mean"], color="gray", ls="--", lw=1, label="real 10k only")
        ax.legend(loc="lower right")
    ax.set_yticks(ys)
    ax.set_yticklabels(table.index, fontsize=9)
    low = (table["mean"] - std).min()
    ax.set_xlim(max(0.0, low - 0.05), 1.06)
    ax.set(xlabel="test accuracy (10,000 real images)", title=title)
    ax.grid(alpha=0.3, axis="x")
    return ax
