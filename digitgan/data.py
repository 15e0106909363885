"""The study's data rules: the seed-42 subset, scaling to [-1, 1], one-hot labels, the labelled subsets of the
label-efficiency study. The MNIST files themselves (finding, verifying, downloading) are :mod:`digitgan.mnist`.
"""

from __future__ import annotations

import numpy as np

from digitgan import checks, config
from digitgan.mnist import MnistError, load_mnist

__all__ = ["MnistError", "load_mnist", "load_study_data", "load_label_efficiency_data"]


def subset_indices(
    n_total: int = config.N_TRAIN_FULL, size: int = config.SUBSET_SIZE, seed: int = config.SEED
) -> np.ndarray:
    """The study's training subset: ``RandomState(seed).choice(n_total, size, replace=False)``."""
    return np.random.RandomState(seed).choice(n_total, size, replace=False)


def scale_images(x: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [-1, 1] with a channel axis: (N, 28, 28, 1)."""
    return ((x.astype(np.float32) - 127.5) / 127.5)[..., np.newaxis]


def one_hot(y: np.ndarray, num_classes: int = config.NUM_CLASSES) -> np.ndarray:
    """Integer labels -> one-hot float32 rows, for categorical cross-entropy."""
    return np.eye(num_classes, dtype=np.float32)[y]


def load_study_data(
    subset_size: int = config.SUBSET_SIZE, seed: int = config.SEED, n_val: int = 0, source=None
) -> dict:
    """The protocol's arrays: the seed-42 training subset and all 10k test images, scaled.

    Returns a dict with ``x_train``, ``y_train`` (integer labels), ``x_test``, ``y_test``,
    ``train_indices`` and, if ``n_val`` > 0, ``x_val``/``y_val`` drawn (seeded) from the
    50k training images outside the subset. Use :func:`one_hot` for categorical losses.
    """
    subset_size = checks.integer("subset_size", subset_size, 1, config.N_TRAIN_FULL)
    n_val = checks.integer("n_val", n_val, 0, config.N_TRAIN_FULL - subset_size)
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    idx = subset_indices(len(x_all), subset_size, seed)
    data = {
        "x_train": scale_images(x_all[idx]),
        "y_train": y_all[idx].astype(np.int64),
        "x_test": scale_images(x_test),
        "y_test": y_test.astype(np.int64),
        "train_indices": idx,
    }
    if n_val:
        rest = np.setdiff1d(np.arange(len(x_all)), idx)
        val_idx = np.random.RandomState(seed + 1).choice(rest, n_val, replace=False)
        data["x_val"], data["y_val"] = scale_images(x_all[val_idx]), y_all[val_idx].astype(np.int64)
    return data


def label_subset_indices(
    y_all: np.ndarray, n_labels: int, seed: int = config.SEED, subset_size: int = config.SUBSET_SIZE
) -> np.ndarray:
    """Indices (into the 60k training images) of the labelled images of a label-efficiency run.

    ``n_labels == subset_size`` (10,000) gives the study's seed-42 subset (whatever ``seed``), so
    every method at that size trains on the protocol's images. Any other size must be a multiple of
    the 10 classes and is balanced: ``n_labels // 10`` images of each digit, drawn by
    ``RandomState(seed)``, class by class, and returned sorted. The same ``(n_labels, seed)`` gives the
    same images to every method.
    """
    if n_labels == subset_size:
        return np.sort(subset_indices(len(y_all), subset_size))
    if n_labels <= 0 or n_labels % config.NUM_CLASSES:
        raise ValueError(f"n_labels must be a positive multiple of {config.NUM_CLASSES}, got {n_labels}")
    per_class = n_labels // config.NUM_CLASSES
    rng = np.random.RandomState(seed)
    picked = []
    for digit in range(config.NUM_CLASSES):
        of_digit = np.flatnonzero(y_all == digit)
        if len(of_digit) < per_class:
            raise ValueError(f"only {len(of_digit)} training images of digit {digit}, {per_class} asked for")
        picked.append(rng.choice(of_digit, per_class, replace=False))
    return np.sort(np.concatenate(picked))


def validation_indices(y_all: np.ndarray, exclude: np.ndarray, n_val: int, seed: int = config.SEED) -> np.ndarray:
    """A balanced, seeded validation split of labelled training images outside ``exclude`` (the labelled subset).

    ``n_val // 10`` images of each digit, drawn by ``RandomState(seed + 10_000)`` (a stream apart from the one
    that drew the labelled subset), returned sorted. Every choice of a run (epochs, learning rate, schedule,
    weights to keep) is made on these images; the test set is read once per final model. They are labelled
    images too: a study that uses them states them as part of its label budget.
    """
    n_val = checks.integer("n_val", n_val, config.NUM_CLASSES)
    if n_val % config.NUM_CLASSES:
        raise ValueError(f"n_val must be a multiple of {config.NUM_CLASSES}, got {n_val}")
    rest = np.setdiff1d(np.arange(len(y_all)), exclude)
    rng = np.random.RandomState(seed + 10_000)
    per_class = n_val // config.NUM_CLASSES
    picked = []
    for digit in range(config.NUM_CLASSES):
        of_digit = rest[y_all[rest] == digit]
        if len(of_digit) < per_class:
            raise ValueError(f"only {len(of_digit)} images of digit {digit} outside the subset, {per_class} asked for")
        picked.append(rng.choice(of_digit, per_class, replace=False))
    return np.sort(np.concatenate(picked))


def load_label_efficiency_data(n_labels: int, seed: int = config.SEED, source=None, n_val: int = 0) -> dict:
    """The arrays of one label-efficiency run, scaled to [-1, 1].

    ``x_train``/``y_train``: the labelled images (:func:`label_subset_indices`); ``x_unlabelled``: all
    60,000 training images without their labels (what a semi-supervised method may also use);
    ``x_test``/``y_test``: all 10,000 test images; ``label_indices``: where the labelled ones come from.
    With ``n_val`` > 0 also ``x_val``/``y_val`` and ``val_indices``: :func:`validation_indices` for this run.
    """
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    idx = label_subset_indices(y_all, n_labels, seed)
    out = {
        "x_train": scale_images(x_all[idx]),
        "y_train": y_all[idx].astype(np.int64),
        "x_unlabelled": scale_images(x_all),
        "x_test": scale_images(x_test),
        "y_test": y_test.astype(np.int64),
        "label_indices": idx,
    }
    if n_val:
        val = validation_indices(y_all, idx, n_val, seed)
        out.update(x_val=scale_images(x_all[val]), y_val=y_all[val].astype(np.int64), val_indices=val)
    return out
