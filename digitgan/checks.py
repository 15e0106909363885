"""Argument checks: a ``ValueError`` naming the parameter, its valid range and the value given, before any work."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from digitgan import config

SEED_MAX = 2**32 - 1  # NumPy's RandomState takes seeds in [0, 2**32 - 1]
_SCALE = "scale uint8 (0-255) images with digitgan.data.scale_images"


def integer(name: str, value, low: int = 1, high: int | None = None) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):  # ints and NumPy integers
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= (value := int(value)) <= (math.inf if high is None else high):
        raise ValueError(f"{name} must be in [{low:,}, {'∞' if high is None else f'{high:,}'}], got {value:,}")
    return value


def _real(name: str, value, inside, interval: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number in {interval}, got {value!r} (a {type(value).__name__})")
    if not (math.isfinite(value) and inside(float(value))):
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def positive_float(name: str, value) -> float:
    return _real(name, value, lambda v: v > 0, "(0, ∞)")


def fraction(name: str, value, low: float = 0.0, high: float = 1.0) -> float:
    return _real(name, value, lambda v: low <= v < high, f"[{low}, {high})")


def learning_rate(value, name: str = "learning_rate") -> float:
    return _real(name, value, lambda v: 0 < v <= 1, "(0, 1]")


def seed(value, name: str = "seed") -> int:
    return integer(name, value, 0, SEED_MAX)


def batch_size(value, n_images: int, name: str = "batch_size") -> int:
    return integer(name, value, 1, max(n_images, 1))


def choice(name: str, value, allowed: Iterable):
    if value not in (allowed := tuple(allowed)):
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def choices(name: str, values, allowed: Iterable) -> list:
    values, allowed = list(values), tuple(allowed)
    if not values or len(set(values)) != len(values) or not set(values) <= set(allowed):
        raise ValueError(f"{name} holds {values}: it must list distinct entries of {allowed}")
    return values


def same_settings(where: str, saved: dict, asked: dict, fix: str, word: str = "saved") -> None:
    """Refuse ``asked`` settings other than the ``saved`` ones of ``where``, naming each difference and the fix."""
    if keys := sorted(k for k in saved | asked if saved.get(k) != asked.get(k)):
        differ = "; ".join(f"{k}: {word} {saved.get(k, 'not recorded')!r}, asked {asked.get(k)!r}" for k in keys)
        raise ValueError(f"{where} with other settings ({differ}). {fix}")


def images(name: str, x) -> None:
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):
        raise ValueError(f"{name} must be a NumPy array of images, got a {type(x).__name__}: use np.asarray")
    if not x.shape or x.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}): pass at least one image")
    if tuple(x.shape[1:]) != config.IMAGE_SHAPE:
        raise ValueError(f"{name} holds images of shape {tuple(x.shape[1:])}, not {config.IMAGE_SHAPE}: {_SCALE}")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} holds {x.dtype} values; the networks take float images in [-1, 1]: {_SCALE}")
    low, high = x.min(), x.max()  # NaN propagates through both
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
        first = f"(the first: index {bad[0]}): remove or repair those images"
        raise ValueError(f"{name} holds NaN or infinite values in {len(bad):,} image(s) {first}")
    if low < -1 or high > 1:
        raise ValueError(f"{name} holds values in [{float(low):g}, {float(high):g}], outside [-1, 1]: {_SCALE}")


def labels(name: str, y, n_images: int | None = None, images_name: str = "the images") -> None:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0 or not np.issubdtype(y.dtype, np.integer):
        fix = "pass the digits (y.argmax(axis=1) for one-hot rows, y.astype(np.int64) for whole numbers)"
        raise ValueError(
            f"{name} must be a non-empty 1-D array of integer labels, got {y.dtype} of shape {y.shape}: {fix}"
        )
    if y.min() < 0 or y.max() >= config.NUM_CLASSES:
        raise ValueError(f"{name} holds labels from {y.min()} to {y.max()}; they must be digits 0-9: fix or drop them")
    if n_images is not None and len(y) != n_images:
        raise ValueError(f"{name} holds {len(y):,} labels for {n_images:,} images in {images_name}: one per image")


def labelled(data: dict, splits: Iterable[str]) -> None:
    for split in splits:
        x_key, y_key = f"x_{split}", f"y_{split}"
        if not {x_key, y_key} <= set(data):
            raise ValueError(
                f"data has no {x_key!r} or {y_key!r}: pass the dict that digitgan.data.load_study_data() or "
                "load_label_efficiency_data() returns"
            )
        images(f"data[{x_key!r}]", data[x_key])
        labels(f"data[{y_key!r}]", data[y_key], len(data[x_key]), f"data[{x_key!r}]")
