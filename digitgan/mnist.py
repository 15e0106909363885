"""The MNIST files: where they are found, how they are verified, and the download of last resort.

Where MNIST comes from, in order: an explicit ``source`` argument, the
``DIGITGAN_MNIST`` environment variable, the project's ``data/`` folder, and
finally a download of Keras's ``mnist.npz`` into ``data/`` (verified by its
published SHA-256). Whatever is loaded is checked: IDX magic numbers and sizes,
the SHA-256 of the decompressed files, shapes, dtypes and the label range.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np

from digitgan import config, utils

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

DOWNLOAD_PREFIX = ".download-"  # + the downloading process's id
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
EXPECTED_COUNTS = {"train": 60_000, "test": 10_000}

HOW_TO_PROVIDE = (
    f"Set {config.MNIST_ENV} to a folder with the four MNIST IDX files "
    "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
    f"t10k-labels-idx1-ubyte[.gz]) or an {NPZ_NAME}, put them in {config.DATA_DIR}, "
    "or connect to the internet so that mnist.npz can be downloaded."
)


class MnistError(RuntimeError):
    """MNIST could not be found or failed verification; the message says how to fix it."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_maybe_gz(path: Path) -> bytes:
    raw = path.read_bytes()
    if not path.name.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise MnistError(
            f"{path} is truncated or not a valid gzip file ({exc}). Delete it and copy or download it again."
        ) from exc


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def parse_idx(data: bytes, path: Path, magic: int) -> np.ndarray:
    """Parse the bytes of one IDX file, checking its magic number and size."""
    if len(data) < 8:
        raise MnistError(f"{path} is too short to be an IDX file ({len(data)} bytes). Replace it.")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise MnistError(
            f"{path} has magic number {found}, expected {magic} "
            f"({'images' if magic == IMAGES_MAGIC else 'labels'}). "
            "It is not the MNIST file its name says: replace it."
        )
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise MnistError(
            f"{path} holds {len(data)} bytes but its header {dims} needs {expected}: "
            "the file is truncated or corrupt. Replace it."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _load_idx_folder(folder: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    paths = {stem: _find_idx(folder, stem) for stem in IDX_SHA256}
    missing = [stem for stem, path in paths.items() if path is None]
    if missing:
        raise MnistError(f"{folder} has no {', '.join(f'{m}[.gz]' for m in missing)}. {HOW_TO_PROVIDE}")
    arrays = {}
    for stem, sha in IDX_SHA256.items():
        path = paths[stem]
        data = _read_maybe_gz(path)
        arrays[stem] = parse_idx(data, path, IMAGES_MAGIC if "images" in stem else LABELS_MAGIC)
        if _sha256(data) != sha:
            raise MnistError(
                f"{path}: SHA-256 of the decompressed bytes is {_sha256(data)}, expected {sha}. "
                "The file is not the canonical MNIST: replace it."
            )
    return (
        (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


def _load_npz(path: Path):
    digest = _sha256(path.read_bytes())
    if digest != NPZ_SHA256:
        raise MnistError(
            f"{path}: SHA-256 is {digest}, expected {NPZ_SHA256} (Keras's mnist.npz). "
            "Delete it and download or copy it again."
        )
    with np.load(path) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _has_mnist(folder: Path) -> bool:
    return (folder / NPZ_NAME).is_file() or any(_find_idx(folder, s) for s in IDX_SHA256)


def _load_folder(folder: Path):
    if (folder / NPZ_NAME).is_file() and not any(_find_idx(folder, s) for s in IDX_SHA256):
        return _load_npz(folder / NPZ_NAME)
    return _load_idx_folder(folder)


def download_mnist(dest_dir: Path | None = None, url: str = NPZ_URL) -> Path:
    """Download Keras's mnist.npz into ``dest_dir`` (default ``data/``), verified by SHA-256.

    The file is fetched into a temporary folder and moved into place only once
    verified, so a failed or corrupt download leaves nothing in ``dest_dir``.
    """
    import keras

    dest_dir = Path(dest_dir or config.DATA_DIR)
    dest_dir.mkdir(parents=True, exist_ok=True)
    remove_killed_downloads(dest_dir)
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=f"{DOWNLOAD_PREFIX}{os.getpid()}-") as tmp:
        try:
            fetched = Path(keras.utils.get_file(NPZ_NAME, origin=url, cache_dir=tmp, cache_subdir=""))
        except Exception as exc:
            raise MnistError(f"Downloading MNIST from {url} failed ({exc}). {HOW_TO_PROVIDE}") from exc
        digest = _sha256(fetched.read_bytes())
        if digest != NPZ_SHA256:
            raise MnistError(
                f"The download from {url} has SHA-256 {digest}, expected {NPZ_SHA256}; "
                f"nothing was saved. {HOW_TO_PROVIDE}"
            )
        target = dest_dir / NPZ_NAME
        shutil.move(str(fetched), target)
    return target


def remove_killed_downloads(folder: Path) -> list[Path]:
    """Delete the temporary folders of downloads whose process is gone (killed mid-way); returns them."""
    return utils.remove_orphans(folder, DOWNLOAD_PREFIX)


def _validate(train, test, origin: Path) -> None:
    for split, (x, y) in (("train", train), ("test", test)):
        n = EXPECTED_COUNTS[split]
        if x.shape != (n, 28, 28) or x.dtype != np.uint8:
            raise MnistError(f"{origin}: {split} images have shape {x.shape} {x.dtype}, expected ({n}, 28, 28) uint8.")
        if y.shape != (n,) or y.min() < 0 or y.max() > 9:
            raise MnistError(
                f"{origin}: {split} labels have shape {y.shape} and range [{y.min()}, {y.max()}], "
                f"expected ({n},) in 0-9."
            )


def load_mnist(source: str | os.PathLike | None = None, download: bool = True):
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)``: uint8 (N, 28, 28) and labels (N,)."""
    if config.DATA_DIR.is_dir():
        remove_killed_downloads(config.DATA_DIR)
    looked = []
    if source is not None:
        folder = Path(source)
        if not folder.is_dir():
            raise MnistError(f"The MNIST folder {folder} does not exist. {HOW_TO_PROVIDE}")
    elif os.environ.get(config.MNIST_ENV):
        folder = Path(os.environ[config.MNIST_ENV])
        if not folder.is_dir():
            raise MnistError(f"{config.MNIST_ENV}={folder} is not a folder. {HOW_TO_PROVIDE}")
    elif _has_mnist(config.DATA_DIR):
        folder = config.DATA_DIR
    else:
        looked = [f"{config.MNIST_ENV} (unset)", str(config.DATA_DIR)]
        if not download:
            raise MnistError(f"No MNIST found; looked in: {', '.join(looked)}. {HOW_TO_PROVIDE}")
        folder = download_mnist(config.DATA_DIR).parent
    if not _has_mnist(folder):
        raise MnistError(f"No MNIST files in {folder}. {HOW_TO_PROVIDE}")
    train, test = _load_folder(folder)
    _validate(train, test, folder)
    return train, test
