"""Every path and constant of the study, in one place.

Paths derive from the package's location (the repository root). Tests and
scratch runs redirect the writable folders with environment variables, so a
small run never overwrites the committed full-size results:

- ``DIGITGAN_MNIST``: a folder with the four MNIST IDX files (gzipped or not)
  or an ``mnist.npz``.
- ``DIGITGAN_FIGURES_DIR``, ``DIGITGAN_CHECKPOINT_DIR``, ``DIGITGAN_DATA_DIR``:
  where figures (and ``results.json``), checkpoints and downloads go.
"""

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parent.parent


def _dir(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).resolve() if value else default


DATA_DIR = _dir("DIGITGAN_DATA_DIR", PROJ_ROOT / "data")
CHECKPOINT_DIR = _dir("DIGITGAN_CHECKPOINT_DIR", PROJ_ROOT / "checkpoints")
FIGURES_DIR = _dir("DIGITGAN_FIGURES_DIR", PROJ_ROOT / "figures")
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
RESULTS_PATH = FIGURES_DIR / "results.json"
MNIST_ENV = "DIGITGAN_MNIST"

# The DCGAN's training state (resumable) and its exported final models.
GAN_CHECKPOINT_DIR = CHECKPOINT_DIR / "dcgan"
GENERATOR_PATH = CHECKPOINT_DIR / "generator.weights.h5"
DISCRIMINATOR_PATH = CHECKPOINT_DIR / "discriminator.weights.h5"
GAN_HISTORY_PATH = CHECKPOINT_DIR / "dcgan_history.json"
GAN_FRAMES_DIR = FIGURES_DIR / "dcgan_epochs"
JUDGE_PATH = CHECKPOINT_DIR / "judge.weights.h5"
# Semi-supervised GAN runs (one training state per label count and seed) and label-efficiency results.
SSGAN_CHECKPOINT_DIR = CHECKPOINT_DIR / "ssgan"
LABEL_EFFICIENCY_CACHE = CHECKPOINT_DIR / "label_efficiency_runs.json"


def model_path(name: str):
    """Where a trained classifier's weights are saved (``cnn``, ``trial1``, ...)."""
    return CHECKPOINT_DIR / f"{name}.weights.h5"


# The study's protocol (SPEC.md).
SEED = 42
N_TRAIN_FULL = 60_000
SUBSET_SIZE = 10_000
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
NOISE_DIM = 100
BATCH_SIZE = 100
CNN_EPOCHS = 15
GAN_EPOCHS = 50
GAN_CHECKPOINT_EVERY = 15
GAN_LEARNING_RATE = 1e-4
# The DCGAN's compute precision (Keras dtype policy); see benchmarks/dcgan_precision.py.
GAN_PRECISION = "float32"
SGD_LEARNING_RATE = 0.01
TRANSFER_EPOCHS = 15
# The semi-supervised GAN (digitgan.ssgan). The paper trains 300 epochs at 0.003; a 2-core CPU allows
# ~22 in 20 minutes (about 40 s each). On a GPU sweep (PyTorch port, 100 labels, 10 epochs, seed 42)
# 0.001 reached 0.944 where 0.003 reached 0.912.
SSGAN_EPOCHS = 22
SSGAN_DECAY_START = 13
SSGAN_LEARNING_RATE = 0.001
LABEL_COUNTS = (100, 1000, 10_000)
LABEL_SEEDS = (42, 43, 44)
