"""The study's data rules: the seed-42 subset, scaling to [-1, 1], one-hot labels, the labelled subsets of the
label-efficiency study. The MNIST files themselves are found, verified and (as a last resort) downloaded here too.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from digitgan import checks, config, fileio

__all__ = ["MnistError", "load_mnist", "load_study_data", "load_label_efficiency_data"]


# SHA-256 of the decompressed, canonical IDX files (as in ../shared/mnist/SHA256SUMS).
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
NPZ_NAME = "mnist.npz"
NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DOWNLOAD_TIMEOUT_S = 60  # per connection attempt and per read: an unreachable network fails, never hangs

DOWNLOAD_PREFIX = ".download-"  # + the downloading process's id
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049

HOW_TO_PROVIDE = (
    f"Set {config.MNIST_ENV} to a folder with the four MNIST IDX files "
    "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
    f"t10k-labels-idx1-ubyte[.gz]) or an {NPZ_NAME}, put them in {config.DATA_DIR}, "
    "or connect to the internet so that mnist.npz can be downloaded. "
    f"In this repository, `make lab` starts JupyterLab with {config.MNIST_ENV} set to ../shared/mnist "
    "(where that folder exists)."
)


class MnistError(RuntimeError):
    """MNIST could not be found or failed verification; the message says how to fix it."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path, sha256: str) -> np.ndarray:
    """One IDX file, gzipped or not, checked in turn: gzip stream, magic number, size, then SHA-256."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise MnistError(
                f"{path} is truncated or not a valid gzip file ({exc}). Delete it and copy or download it again."
            ) from exc
    if len(data) < 8:
        raise MnistError(f"{path} is too short to be an IDX file ({len(data)} bytes). Replace it.")
    magic = IMAGES_MAGIC if "images" in path.name else LABELS_MAGIC
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise MnistError(
            f"{path} has magic number {found}, expected {magic} "
            f"({'images' if magic == IMAGES_MAGIC else 'labels'}). "
            "It is not the MNIST file its name says: replace it."
        )
    header = 4 + 4 * data[3]  # the magic number, then one size per dimension (data[3] of them)
    dims = tuple(int.from_bytes(data[i : i + 4], "big") for i in range(4, header, 4))
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise MnistError(
            f"{path} holds {len(data)} bytes but its header {dims} needs {expected}: "
            "the file is truncated or corrupt. Replace it."
        )
    if (digest := _sha256(data)) != sha256:
        raise MnistError(
            f"{path}: SHA-256 of the decompressed bytes is {digest}, expected {sha256}. "
            "The file is not the canonical MNIST: replace it."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _read_folder(folder: Path):
    """MNIST from the four IDX files in ``folder`` or, where it holds none of them, from its mnist.npz."""
    paths = {stem: _find_idx(folder, stem) for stem in IDX_SHA256}
    if not any(paths.values()):
        npz = folder / NPZ_NAME
        if not npz.is_file():
            raise MnistError(f"No MNIST files in {folder}. {HOW_TO_PROVIDE}")
        if (digest := _sha256(npz.read_bytes())) != NPZ_SHA256:
            raise MnistError(
                f"{npz}: SHA-256 is {digest}, expected {NPZ_SHA256} (Keras's mnist.npz). "
                "Delete it and download or copy it again."
            )
        with np.load(npz) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    missing = [stem for stem, path in paths.items() if path is None]
    if missing:
        raise MnistError(f"{folder} has no {', '.join(f'{m}[.gz]' for m in missing)}. {HOW_TO_PROVIDE}")
    x_train, y_train, x_test, y_test = (_read_idx(paths[stem], sha) for stem, sha in IDX_SHA256.items())
    return (x_train, y_train), (x_test, y_test)


def download_mnist(dest_dir: Path | None = None, url: str = NPZ_URL) -> Path:
    """Download Keras's mnist.npz into ``dest_dir`` (default ``data/``), verified by SHA-256. It is fetched into a
    temporary folder and moved into place only once verified: a failed or corrupt download leaves nothing."""
    dest_dir = Path(dest_dir or config.DATA_DIR)
    dest_dir.mkdir(parents=True, exist_ok=True)
    remove_killed_downloads(dest_dir)
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=f"{DOWNLOAD_PREFIX}{os.getpid()}-") as tmp:
        fetched = Path(tmp) / NPZ_NAME
        print(f"Downloading MNIST from {url} into {dest_dir}")
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, fetched.open("wb") as out:
                shutil.copyfileobj(response, out)
        except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors; a bad URL a ValueError
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            # from None: the message is the whole story, without urllib's traceback in front of it
            raise MnistError(f"Downloading MNIST from {url} failed ({reason}). {HOW_TO_PROVIDE}") from None
        if (digest := _sha256(fetched.read_bytes())) != NPZ_SHA256:
            raise MnistError(
                f"The download from {url} has SHA-256 {digest}, expected {NPZ_SHA256}; "
                f"nothing was saved. {HOW_TO_PROVIDE}"
            )
        target = dest_dir / NPZ_NAME
        shutil.move(str(fetched), target)
    return target


def remove_killed_downloads(folder: Path) -> list[Path]:
    """Delete the temporary folders of downloads whose process is gone (killed mid-way); returns them."""
    return fileio.remove_stale_temp_files(folder, DOWNLOAD_PREFIX)


def load_mnist(source: str | os.PathLike | None = None, download: bool = True):
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)``: uint8 (N, 28, 28) and labels (N,). Every file is
    verified by its SHA-256, which fixes the shapes, dtypes and label range too."""
    if config.DATA_DIR.is_dir():
        remove_killed_downloads(config.DATA_DIR)
    if source is not None:
        folder = Path(source)
        if not folder.is_dir():
            raise MnistError(f"The MNIST folder {folder} does not exist. {HOW_TO_PROVIDE}")
    elif os.environ.get(config.MNIST_ENV):
        folder = Path(os.environ[config.MNIST_ENV])
        if not folder.is_dir():
            raise MnistError(f"{config.MNIST_ENV}={folder} is not a folder. {HOW_TO_PROVIDE}")
    elif (config.DATA_DIR / NPZ_NAME).is_file() or any(_find_idx(config.DATA_DIR, s) for s in IDX_SHA256):
        folder = config.DATA_DIR
    else:
        looked = f"No MNIST found; looked in: {config.MNIST_ENV} (unset), {config.DATA_DIR}."
        if not download:
            raise MnistError(f"{looked} {HOW_TO_PROVIDE}")
        try:
            folder = download_mnist(config.DATA_DIR).parent
        except MnistError as exc:
            raise MnistError(f"{looked} {exc}") from None
    return _read_folder(folder)


def subset_indices(
    n_total: int = config.N_TRAIN_FULL, size: int = config.SUBSET_SIZE, seed: int = config.SEED
) -> np.ndarray:
    """The study's training subset: ``RandomState(seed).choice(n_total, size, replace=False)``."""
    return np.random.RandomState(checks.seed(seed)).choice(n_total, size, replace=False)


def scale_images(x: np.ndarray) -> np.ndarray:
    """uint8 images -> float32 in [-1, 1] with a channel axis: (N, 28, 28, 1)."""
    return ((x.astype(np.float32) - 127.5) / 127.5)[..., np.newaxis]


def one_hot(y: np.ndarray, num_classes: int = config.NUM_CLASSES) -> np.ndarray:
    """Integer labels -> one-hot float32 rows, for categorical cross-entropy."""
    return np.eye(num_classes, dtype=np.float32)[y]


def _split(name: str, x: np.ndarray, y: np.ndarray) -> dict:
    """``x_<name>`` scaled and ``y_<name>`` as int64."""
    return {f"x_{name}": scale_images(x), f"y_{name}": y.astype(np.int64)}


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
    seed = checks.seed(seed)
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    idx = subset_indices(len(x_all), subset_size, seed)
    data = {**_split("train", x_all[idx], y_all[idx]), **_split("test", x_test, y_test), "train_indices": idx}
    if n_val:
        rest = np.setdiff1d(np.arange(len(x_all)), idx)
        val_idx = np.random.RandomState((seed + 1) % (checks.SEED_MAX + 1)).choice(rest, n_val, replace=False)
        data.update(_split("val", x_all[val_idx], y_all[val_idx]))
    return data


def _balanced(y_all: np.ndarray, pool: np.ndarray, n: int, rng: np.random.RandomState, images: str) -> np.ndarray:
    """``n // 10`` indices of each digit drawn from ``pool`` by ``rng``, class by class, returned sorted; too few
    ``images`` ("... of digit {}") of a digit is an error."""
    per_class, picked = n // config.NUM_CLASSES, []
    for digit in range(config.NUM_CLASSES):
        of_digit = pool[y_all[pool] == digit]
        if len(of_digit) < per_class:
            raise ValueError(f"only {len(of_digit)} {images.format(digit)}, {per_class} asked for")
        picked.append(rng.choice(of_digit, per_class, replace=False))
    return np.sort(np.concatenate(picked))


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
    seed = checks.seed(seed)
    if n_labels == subset_size:
        return np.sort(subset_indices(len(y_all), subset_size))
    if n_labels <= 0 or n_labels % config.NUM_CLASSES:
        raise ValueError(f"n_labels must be a positive multiple of {config.NUM_CLASSES}, got {n_labels}")
    rng = np.random.RandomState(seed)
    return _balanced(y_all, np.arange(len(y_all)), n_labels, rng, "training images of digit {}")


def validation_indices(y_all: np.ndarray, exclude: np.ndarray, n_val: int, seed: int = config.SEED) -> np.ndarray:
    """A balanced, seeded validation split of labelled training images outside ``exclude`` (the labelled subset).

    ``n_val // 10`` images of each digit, drawn by ``RandomState(seed + 10_000)`` (a stream apart from the one
    that drew the labelled subset), returned sorted. Every choice of a run (epochs, learning rate, schedule,
    weights to keep) is made on these images; the test set is read once per final model. They are labelled
    images too: a study that uses them states them as part of its label budget.
    """
    n_val = checks.integer("n_val", n_val, config.NUM_CLASSES)
    seed = checks.seed(seed)
    if n_val % config.NUM_CLASSES:
        raise ValueError(f"n_val must be a multiple of {config.NUM_CLASSES}, got {n_val}")
    rest = np.setdiff1d(np.arange(len(y_all)), exclude)
    rng = np.random.RandomState((seed + 10_000) % (checks.SEED_MAX + 1))  # wraps at NumPy's seed range
    return _balanced(y_all, rest, n_val, rng, "images of digit {} outside the subset")


def load_label_efficiency_data(n_labels: int, seed: int = config.SEED, source=None, n_val: int = 0) -> dict:
    """The arrays of one label-efficiency run, scaled to [-1, 1].

    ``x_train``/``y_train``: the labelled images (:func:`label_subset_indices`); ``x_unlabelled``: all
    60,000 training images without their labels (what a semi-supervised method may also use);
    ``x_test``/``y_test``: all 10,000 test images; ``label_indices``: where the labelled ones come from.
    With ``n_val`` > 0 also ``x_val``/``y_val`` and ``val_indices``: :func:`validation_indices` for this run.
    """
    seed = checks.seed(seed)
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    idx = label_subset_indices(y_all, n_labels, seed)
    out = {
        **_split("train", x_all[idx], y_all[idx]),
        "x_unlabelled": scale_images(x_all),
        **_split("test", x_test, y_test),
        "label_indices": idx,
    }
    if n_val:
        val = validation_indices(y_all, idx, n_val, seed)
        out.update(_split("val", x_all[val], y_all[val]), val_indices=val)
    return out
