"""Notebook 10's settings and what its runs (:mod:`.protocols`) are made of: the images (a validation split outside the
10k subset, the same for 10k and 60k), the modern protocol's augmentation, the optimisers with a cosine schedule."""

from __future__ import annotations

import keras
import numpy as np

from digitgan import checks, config
from digitgan.data import load_mnist, scale_images, subset_indices
from digitgan.extensions import constants

PROTOCOLS_DIR = config.CHECKPOINT_DIR / "protocols"  # 10's run store
PROTOCOL_VAL = 5_000  # 10's validation split: training images outside the 10k subset
# 10's original-protocol grid (its values: digitgan.config, with the notebook's other full-size parameters).
MODELS, OPTIMIZERS, LEARNING_RATES = (
    constants.PROTOCOL_MODELS,
    constants.PROTOCOL_OPTIMIZERS,
    constants.PROTOCOL_LEARNING_RATES,
)
# A modern-protocol run's regularisation beyond the learning rate and epochs (``train_run``'s keyword arguments): the
# first modern protocol's, and a run with these keeps the key of a run that names none.
RECIPE_DEFAULTS = dict(weight_decay=0.0, label_smoothing=0.0, strength=0.1, batch_size=config.BATCH_SIZE, dropout=0.0)


def load_data(n_train: int, n_val: int = PROTOCOL_VAL, source=None) -> dict:
    """``n_train`` = 10,000: the study's subset; 60,000: every training image outside the validation split. The
    validation split is the same for both: ``n_val`` images outside the subset, drawn by ``RandomState(43)``."""
    (x_all, y_all), test = load_mnist(source)
    subset = subset_indices(len(x_all), config.SUBSET_SIZE, config.SEED)
    rest = np.setdiff1d(np.arange(len(x_all)), subset)
    val = np.sort(np.random.RandomState(config.SEED + 1).choice(rest, n_val, replace=False))
    if n_train == config.SUBSET_SIZE:
        train = subset
    elif n_train == config.N_TRAIN_FULL:
        train = np.setdiff1d(np.arange(len(x_all)), val)
    else:
        train = subset[: checks.integer("n_train", n_train, 1, config.SUBSET_SIZE)]  # small runs: a prefix
    out = {}
    for split, (x, y) in {"train": (x_all[train], y_all[train]), "val": (x_all[val], y_all[val]), "test": test}.items():
        out[f"x_{split}"], out[f"y_{split}"] = scale_images(x), y.astype(np.int64)
    return out


def augmentation(seed: int, strength: float = RECIPE_DEFAULTS["strength"]) -> keras.Sequential:
    """Random shifts (up to ``strength`` of the image), rotations (``strength`` x 100 degrees) and zooms (``strength``)
    in training only, the fill the background (-1)."""
    fill = {"fill_mode": "constant", "fill_value": -1.0, "seed": seed}
    shift = keras.layers.RandomTranslation(strength, strength, **fill)
    rotation = keras.layers.RandomRotation(strength * 100 / 360, **fill)
    return keras.Sequential([shift, rotation, keras.layers.RandomZoom(strength, **fill)], name="augmentation")


def optimizer_for(name: str, learning_rate: float, decay_steps: int, weight_decay: float = 0.0):
    """The optimiser ``name`` with a cosine schedule over ``decay_steps``; ``weight_decay`` (Adam only): decoupled
    (AdamW), each update shrinks the weights by learning rate x decay."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, decay_steps))
    if weight_decay:
        if name != "adam":
            raise ValueError(f"weight_decay is only used with optimizer 'adam', got {name!r}: set it to 0")
        return keras.optimizers.AdamW(schedule, weight_decay=weight_decay)
    if name == "sgd":
        return keras.optimizers.SGD(schedule)
    return keras.optimizers.SGD(schedule, momentum=0.9) if name == "momentum" else keras.optimizers.Adam(schedule)
