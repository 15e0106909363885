"""Argument checks for the public training and study functions: a ``ValueError`` that names the parameter,
its valid range and the value given, raised before anything is read, trained or written."""

from __future__ import annotations

import math
from collections.abc import Iterable


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
