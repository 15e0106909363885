"""Seeding, timing and the shared metrics file (``figures/results.json``)."""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from digitgan import config


def set_seed(seed: int = config.SEED, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and choose the op-determinism mode.

    ``deterministic=False`` allows XLA (Keras turns XLA off under op determinism); on this
    CPU stack XLA-compiled steps are repeatable too, so the DCGAN uses that mode.
    """
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        from tensorflow.python.framework import config as tf_config  # no public "disable" exists

        tf_config.disable_op_determinism()


def versions() -> str:
    """One line with the versions that matter for reproducing a result."""
    import platform

    import keras
    import tensorflow as tf

    return (
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"NumPy {np.__version__}, {os.cpu_count()} CPU cores"
    )


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t["seconds"]`` holds the wall time."""
    t = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield t
    finally:
        t["seconds"] = time.perf_counter() - start


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_results(path: Path | None = None) -> dict:
    """All notebooks' metrics, ``{}`` if none were saved yet."""
    path = Path(path or config.RESULTS_PATH)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); delete it and rerun the notebooks.") from exc


def save_results(key: str, metrics: dict, path: Path | None = None) -> dict:
    """Set ``results[key] = metrics`` in results.json, atomically, leaving other keys untouched."""
    path = Path(path or config.RESULTS_PATH)
    results = load_results(path)
    results[key] = _jsonable(metrics)
    atomic_write_text(path, json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results[key]


def save_weights(model, path: Path) -> Path:
    """``model.save_weights(path)`` through a temporary file, so an interrupted save leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")  # Keras needs the name to end in .weights.h5
    try:
        model.save_weights(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
