"""Argument checks for the public training and study functions: a ``ValueError`` that names the parameter,
its valid range and the value given, raised before anything is read, trained or written."""

from __future__ import annotations

import math
import numbers
import os
import stat
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from digitgan import config

SEED_MAX = 2**32 - 1  # NumPy's RandomState takes seeds in [0, 2**32 - 1]
LEARNING_RATE_MAX = 1.0  # the study's are 1e-4 to 0.1; above 1 a step overshoots any of its losses


def integer(name: str, value, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (no upper bound if ``high`` is None)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):  # ints and NumPy integers
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        upper = f"{high:,}" if high is not None else "∞"
        raise ValueError(f"{name} must be in [{low:,}, {upper}], got {value:,}")
    return value


def positive_float(name: str, value) -> float:
    """A finite number above 0 (learning rates, decays)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def fraction(name: str, value, low: float = 0.0, high: float = 1.0) -> float:
    """A number in ``[low, high)``."""
    value = float(value)
    if not low <= value < high:
        raise ValueError(f"{name} must be in [{low}, {high}), got {value!r}")
    return value


def batch_size(value, n_images: int, name: str = "batch_size") -> int:
    """A batch size from 1 to the number of training images (a larger one would train 0 batches)."""
    if n_images < 1:
        raise ValueError(f"there are no training images (0 given); {name} cannot apply")
    return integer(name, value, 1, n_images)


def choice(name: str, value, allowed: Iterable):
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def choices(name: str, values, allowed: Iterable) -> list:
    """A non-empty list of distinct allowed values."""
    allowed = tuple(allowed)
    values = list(values)
    if not values:
        raise ValueError(f"{name} must name at least one of {allowed}, got an empty list")
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"{name} holds {unknown}, not among {allowed}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} repeats an entry: {values}")
    return values


def seed(value, name: str = "seed") -> int:
    """A random seed: an int in ``[0, 2**32 - 1]`` (what NumPy, TensorFlow and Keras all accept)."""
    if value is None:
        raise ValueError(
            f"{name}=None would draw a different subset each run; pass an integer, e.g. {name}={config.SEED}"
        )
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ValueError(
            f"{name} must be an integer in [0, {SEED_MAX:,}], got {value!r} (a {type(value).__name__}): "
            f"pass a whole number, e.g. {name}={config.SEED}"
        )
    value = int(value)
    if not 0 <= value <= SEED_MAX:
        raise ValueError(f"{name} must be in [0, {SEED_MAX:,}] (NumPy's seed range), got {value:,}")
    return value


def learning_rate(value, name: str = "learning_rate", high: float = LEARNING_RATE_MAX) -> float:
    """A learning rate in ``(0, high]``, as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number in (0, {high:g}], got {value!r} (a {type(value).__name__})")
    rate = float(value)
    if not (math.isfinite(rate) and 0 < rate <= high):
        raise ValueError(
            f"{name} must be in (0, {high:g}] (the study uses 1e-4 to 0.1), got {value!r}: "
            "pass a positive rate of at most that"
        )
    return rate


# A notebook's integer parameters that may be 0 (the others count at least 1), and the images there are to draw from.
MAY_BE_ZERO = ("SEED", "FROZEN_EPOCHS")
AVAILABLE = {name: config.N_TRAIN_FULL for name in ("SUBSET_SIZE", "JUDGE_N_TRAIN", "N_UNLABELLED")}
AVAILABLE["SMALL_N_TEST"] = 10_000  # MNIST's test images


def parameter(name: str, value, full) -> None:
    """A parameter of the kind of its full-size value: a bool, a whole number (a count of at least 1, or
    ``MAY_BE_ZERO``; at most the images ``AVAILABLE``), a positive number, a non-empty list."""
    if isinstance(full, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    elif isinstance(full, int):
        integer(name, value, 0 if name in MAY_BE_ZERO else 1, AVAILABLE.get(name))
    elif isinstance(full, float):
        positive_float(name, value)
    elif isinstance(full, (list, tuple)) and (not isinstance(value, (list, tuple)) or not value):
        raise ValueError(f"{name} must be a non-empty list like {list(full)!r}, got {value!r}")


def _array_like(name: str, x, what: str) -> None:
    """``x`` has a shape and a dtype (a NumPy array, or one of the arrays that behave as one)."""
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        raise ValueError(f"{name} must be a NumPy array of {what}, got a {type(x).__name__}: use np.asarray")


def _of_kind(name: str, x, kind: type, hint: str) -> np.ndarray:
    """``x`` as a NumPy array (no copy) whose dtype is a ``kind`` (``np.floating``, ``np.integer``); else a
    ``ValueError`` naming the dtype, then ``hint``."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, kind):
        raise ValueError(f"{name} holds {x.dtype} values{hint}")
    return x


def images(name: str, x, shape: tuple = config.IMAGE_SHAPE) -> None:
    """``x`` is a non-empty array of float images of ``shape`` with finite values in [-1, 1] (what
    ``data.scale_images`` makes of MNIST's uint8 images). One min and one max over the array, no copy."""
    _array_like(name, x, "images")
    if len(x.shape) < 1 or x.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}): pass at least one image")
    if tuple(x.shape[1:]) != tuple(shape):
        hint = (
            "scale uint8 images with digitgan.data.scale_images, which also adds the channel axis"
            if tuple(x.shape[1:]) == tuple(shape[:-1])
            else f"pass images of shape {tuple(shape)}"
        )
        raise ValueError(f"{name} holds images of shape {tuple(x.shape[1:])}, not {tuple(shape)}: {hint}")
    hint = "; the networks take float images in [-1, 1]: scale uint8 (0-255) images with digitgan.data.scale_images"
    x = _of_kind(name, x, np.floating, hint)
    low, high = x.min(), x.max()  # NaN propagates through both
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))  # only on the error path
        raise ValueError(
            f"{name} holds NaN or infinite values in {len(bad):,} image(s) (the first: index {bad[0]}); training "
            "on them turns every weight into NaN: remove or repair those images"
        )
    if low < -1 or high > 1:
        hint = (
            "they look like 0-255 pixel values: scale uint8 images with digitgan.data.scale_images"
            if high > 1.5
            else "scale them to [-1, 1] (digitgan.data.scale_images does it for uint8 MNIST images)"
        )
        raise ValueError(f"{name} holds values in [{float(low):g}, {float(high):g}], outside [-1, 1]: {hint}")


def labels(name: str, y, n_images: int | None = None, images_name: str = "the images") -> None:
    """``y`` is a non-empty 1-D array of integer labels in ``[0, NUM_CLASSES - 1]`` (one per image if
    ``n_images`` is given)."""
    top = config.NUM_CLASSES - 1
    _array_like(name, y, "integer labels")
    if len(y.shape) != 1:
        raise ValueError(
            f"{name} must be 1-D, one integer label per image, got shape {tuple(y.shape)}: pass the digits, not "
            "one-hot rows (y.argmax(axis=1))"
        )
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty: pass at least one labelled image")
    y = _of_kind(
        name, y, np.integer, f": labels must be integers 0-{top} (y.astype(np.int64) if they are whole numbers)"
    )
    low, high = int(y.min()), int(y.max())
    if low < 0 or high > top:
        bad = np.flatnonzero((y < 0) | (y > top))
        raise ValueError(
            f"{name} holds labels from {low} to {high}; they must be digits 0-{top} ({len(bad):,} outside, "
            f"the first at index {bad[0]}): fix or drop those labels"
        )
    if n_images is not None and len(y) != n_images:
        raise ValueError(
            f"{name} holds {len(y):,} labels for {n_images:,} images in {images_name}: pass one label per image"
        )


def labelled(data: dict, splits: Iterable[str], what: str = "data") -> None:
    """``data["x_<split>"]``/``data["y_<split>"]`` of every split: present, images and labels as above, one label
    per image."""
    for split in splits:
        x_key, y_key = f"x_{split}", f"y_{split}"
        for key in (x_key, y_key):
            if key not in data:
                raise ValueError(
                    f"{what} has no {key!r}: pass the dict of digitgan.data.load_study_data() or "
                    "load_label_efficiency_data()"
                )
        x_name, y_name = f"{what}[{x_key!r}]", f"{what}[{y_key!r}]"
        images(x_name, data[x_key])
        labels(y_name, data[y_key], len(data[x_key]), x_name)


def replaceable_file(path) -> Path:
    """Where a write that replaces ``path`` must go: ``path`` itself, or for a symbolic link the file it points to
    (the link is kept). A folder at ``path``, a read-only file (no owner write bit, e.g. mode 444) and a file this
    user may not write are refused, naming the file and the fix: they are never silently replaced."""
    path = Path(path)
    try:
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        is_dir, exists = target.is_dir(), target.exists()
    except PermissionError:  # a folder on the way cannot be entered: the write names it (disk.writable_folder)
        return path
    via = f" (the link {path} points to it)" if target != path else ""
    if is_dir:
        raise IsADirectoryError(
            f"{target} is a folder, not a file{via}: move the folder aside so that the file can be written there"
        )
    if exists:
        mode = target.stat().st_mode
        if not mode & stat.S_IWUSR:
            raise PermissionError(
                f"{target} is read-only (mode {stat.S_IMODE(mode):o}){via}, so it is not replaced: make it writable "
                f"with `chmod u+w {target}` to update it, or write elsewhere"
            )
        if not os.access(target, os.W_OK):
            raise PermissionError(
                f"{target} is not writable by this user (it belongs to uid {target.stat().st_uid}, mode "
                f"{stat.S_IMODE(mode):o}){via}, so it is not replaced: run as its owner, or write elsewhere"
            )
    return target
