"""MNIST (found, verified, downloaded as a last resort) and the study's data rules: subsets, scaling, labels."""

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from digitgan import checks, config

MNIST_ENV = "DIGITGAN_MNIST"
_IDX_SHA256 = {  # SHA-256 of the decompressed, canonical IDX files (as in ../shared/mnist/SHA256SUMS)
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
_HOW_TO_PROVIDE = (
    f"Set {MNIST_ENV} to a folder with the four MNIST IDX files ({', '.join(f'{s}[.gz]' for s in _IDX_SHA256)})"
    f" (`make lab` sets it to ../shared/mnist), put them in {config.DATA_DIR}, or go online."
)


class MnistError(RuntimeError):
    """MNIST could not be found or failed verification."""


def _find_idx(folder: Path, stem: str) -> Path | None:
    return next((folder / n for n in (stem, stem + ".gz") if (folder / n).is_file()), None)


def _read_idx(path: Path, sha256: str) -> np.ndarray:
    """One IDX file, gzipped or not, verified by the SHA-256 of its bytes (which fixes its header and shape)."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise MnistError(f"{path} is truncated or not a valid gzip file ({exc}). Replace it.") from exc
    if (digest := hashlib.sha256(data).hexdigest()) != sha256:
        raise MnistError(f"{path}: SHA-256 of the decompressed bytes is {digest}, expected {sha256}. Replace it.")
    images = data[3] == 3  # the header's number of dimensions: 3 for images, 1 for labels
    array = np.frombuffer(data, np.uint8, offset=16 if images else 8)
    return array.reshape(-1, 28, 28) if images else array


def _read_folder(folder: Path):
    """MNIST from the four IDX files in ``folder``."""
    paths = {stem: _find_idx(folder, stem) for stem in _IDX_SHA256}
    if not any(paths.values()):
        raise MnistError(f"No MNIST files in {folder}. {_HOW_TO_PROVIDE}")
    if missing := [f"{stem}[.gz]" for stem, path in paths.items() if path is None]:
        raise MnistError(f"{folder} has no {', '.join(missing)}. {_HOW_TO_PROVIDE}")
    x_train, y_train, x_test, y_test = (_read_idx(paths[stem], sha) for stem, sha in _IDX_SHA256.items())
    return (x_train, y_train), (x_test, y_test)


def load_mnist(source: str | os.PathLike | None = None):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``: from ``source``, $DIGITGAN_MNIST, ``data/`` or downloaded."""
    folder = source if source is not None else os.environ.get(MNIST_ENV)
    if folder:
        if not Path(folder).is_dir():
            raise MnistError(f"{folder} (source or {MNIST_ENV}) is not a folder. {_HOW_TO_PROVIDE}")
        return _read_folder(Path(folder))
    if any(_find_idx(config.DATA_DIR, stem) for stem in _IDX_SHA256):
        return _read_folder(config.DATA_DIR)
    import keras  # keras.datasets.mnist.load_data makes the same call, but only into ~/.keras

    (folder := Path(config.DATA_DIR)).mkdir(parents=True, exist_ok=True)  # else Keras would download into /tmp/.keras
    try:  # Keras reuses a verified mnist.npz in ``folder`` and replaces a damaged one
        npz = keras.utils.get_file("mnist.npz", _NPZ_URL, file_hash=_NPZ_SHA256, cache_dir=folder, cache_subdir=".")
    except Exception as exc:  # noqa: BLE001 - urllib's errors, or a ValueError for a download of other bytes
        (folder / "mnist.npz").unlink(missing_ok=True)
        raise MnistError(
            f"No MNIST found; looked in: {MNIST_ENV} (unset), {folder}. Downloading MNIST from {_NPZ_URL} failed "
            f"({exc}); nothing was saved. {_HOW_TO_PROVIDE}"
        ) from None
    with np.load(npz) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def subset_indices(n_total=config.N_TRAIN_FULL, size=config.SUBSET_SIZE, seed=config.SEED) -> np.ndarray:
    """The study's training subset: ``RandomState(seed).choice(n_total, size, replace=False)``."""
    return np.random.RandomState(checks.seed(seed)).choice(n_total, size, replace=False)


def scale_images(x: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [-1, 1], shape (N, 28, 28, 1)."""
    return ((x.astype(np.float32) - 127.5) / 127.5)[..., np.newaxis]


def one_hot(y: np.ndarray) -> np.ndarray:
    return np.eye(config.NUM_CLASSES, dtype=np.float32)[y]


def _split(name: str, x: np.ndarray, y: np.ndarray) -> dict:
    return {f"x_{name}": scale_images(x), f"y_{name}": y.astype(np.int64)}


def load_study_data(subset_size=config.SUBSET_SIZE, seed=config.SEED, source=None) -> dict:
    """The seed-42 training subset (``train_indices``) and all test images, scaled."""
    subset_size = checks.integer("subset_size", subset_size, 1, config.N_TRAIN_FULL)
    seed = checks.seed(seed)
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    idx = subset_indices(len(x_all), subset_size, seed)
    return {**_split("train", x_all[idx], y_all[idx]), **_split("test", x_test, y_test), "train_indices": idx}


def _balanced(y_all: np.ndarray, pool: np.ndarray, n: int, name: str, rng: np.random.RandomState) -> np.ndarray:
    """``n // 10`` indices of each digit drawn from ``pool`` by ``rng``, class by class, sorted."""
    if n <= 0 or n % config.NUM_CLASSES:
        raise ValueError(f"{name} must be a positive multiple of {config.NUM_CLASSES}, got {n}")
    per_class, picked = n // config.NUM_CLASSES, []
    for digit in range(config.NUM_CLASSES):
        if len(of_digit := pool[y_all[pool] == digit]) < per_class:
            raise ValueError(f"{name} asks for {per_class} images of digit {digit}; only {len(of_digit)} are left")
        picked.append(rng.choice(of_digit, per_class, replace=False))
    return np.sort(np.concatenate(picked))


def label_subset_indices(y_all: np.ndarray, n_labels: int, seed: int = config.SEED) -> np.ndarray:
    """The labelled images of a label-efficiency run: the seed-42 subset at its full size, else balanced."""
    seed = checks.seed(seed)
    if n_labels == config.SUBSET_SIZE:
        return np.sort(subset_indices(len(y_all), config.SUBSET_SIZE))
    return _balanced(y_all, np.arange(len(y_all)), n_labels, "n_labels", np.random.RandomState(seed))


def validation_indices(y_all: np.ndarray, exclude: np.ndarray, n_val: int, seed: int = config.SEED) -> np.ndarray:
    """A balanced validation split outside ``exclude``, drawn by ``RandomState(seed + 10_000)``."""
    n_val, seed = checks.integer("n_val", n_val, config.NUM_CLASSES), checks.seed(seed)
    rng = np.random.RandomState((seed + 10_000) % (checks.SEED_MAX + 1))  # wraps at NumPy's seed range
    return _balanced(y_all, np.setdiff1d(np.arange(len(y_all)), exclude), n_val, "n_val", rng)


def load_label_efficiency_data(n_labels: int, seed: int = config.SEED, source=None, n_val: int = 0) -> dict:
    """One label-efficiency run's arrays, scaled: labelled, all 60k unlabelled, test, and ``n_val`` validation."""
    seed = checks.seed(seed)
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    idx = label_subset_indices(y_all, n_labels, seed)
    out = {**_split("train", x_all[idx], y_all[idx]), "x_unlabelled": scale_images(x_all)}
    out |= {**_split("test", x_test, y_test), "label_indices": idx}
    if n_val:
        val = validation_indices(y_all, idx, n_val, seed)
        out.update(_split("val", x_all[val], y_all[val]), val_indices=val)
    return out
