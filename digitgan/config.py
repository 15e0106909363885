"""Every path and constant of the study, in one place.

Paths derive from the package's location (the repository root). ``figures/``, ``checkpoints/`` and
``figures/results.json`` hold the study's committed results: only full-size runs write there (see
:mod:`digitgan.runs`); a notebook run with other parameters writes into its own folder under ``runs/``.
Environment variables move the folders (the tests point them all into a temporary directory):

- ``DIGITGAN_MNIST``: a folder with the four MNIST IDX files (gzipped or not) or an ``mnist.npz``.
- ``DIGITGAN_FIGURES_DIR``, ``DIGITGAN_CHECKPOINT_DIR``, ``DIGITGAN_DATA_DIR``, ``DIGITGAN_RUNS_DIR``:
  where the study's figures (and ``results.json``), checkpoints, downloads and scratch runs go.
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
RUNS_DIR = _dir("DIGITGAN_RUNS_DIR", PROJ_ROOT / "runs")
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
# Where the committed results live in the repository (whatever the variables above say).
COMMITTED_DIRS = (PROJ_ROOT / "figures", PROJ_ROOT / "checkpoints")
STUDY_RUN_ENV = "DIGITGAN_STUDY_RUN"  # "1" only in the study's runner (make reproduce and its siblings)
COMMITTED_RESULTS_PATH = PROJ_ROOT / "figures" / "results.json"  # what the README's tables are made from
RESULTS_PATH = FIGURES_DIR / "results.json"
MNIST_ENV = "DIGITGAN_MNIST"

# File names inside a checkpoints/ or figures/ folder (the study's, or a scratch run's: digitgan.runs).
# The DCGAN's training state (resumable), its exported final models, its per-epoch frames and GIF.
GAN_STATE_NAME = "dcgan"
GENERATOR_FILE = "generator.weights.h5"
DISCRIMINATOR_FILE = "discriminator.weights.h5"
GAN_HISTORY_FILE = "dcgan_history.json"
GAN_FRAMES_NAME = "dcgan_epochs"
GAN_GIF_FILE = "dcgan_training.gif"
JUDGE_FILE = "judge.weights.h5"

GAN_CHECKPOINT_DIR = CHECKPOINT_DIR / GAN_STATE_NAME
GENERATOR_PATH = CHECKPOINT_DIR / GENERATOR_FILE
DISCRIMINATOR_PATH = CHECKPOINT_DIR / DISCRIMINATOR_FILE
STUDY_SEEDS_STORE = CHECKPOINT_DIR / "study_seeds" / "runs.json"  # the CNN and trials 1-3 at seeds 42-44 (make claims)
GAN_HISTORY_PATH = CHECKPOINT_DIR / GAN_HISTORY_FILE
JUDGE_PATH = CHECKPOINT_DIR / JUDGE_FILE


def weights_file(name: str) -> str:
    """The file name of a trained classifier's weights (``cnn``, ``trial1``, ...)."""
    return f"{name}.weights.h5"


def shown(path) -> str:
    """``path`` as a reader should see it: relative to the repository if inside it, else as given."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJ_ROOT)) if path.is_relative_to(PROJ_ROOT) else str(path)


def is_committed(path) -> bool:
    """Whether ``path`` is one of the repository's committed result files (git can restore it)."""
    return Path(path).resolve().parent in COMMITTED_DIRS


# The study's protocol (the original's, restated in the README).
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
GAN_SCORE_EVERY = 10  # the judge scores GAN_SCORE_SAMPLES generated digits every this many epochs
GAN_SCORE_SAMPLES = 2_000
GAN_EVAL_SAMPLES = 10_000  # generated digits scored after training
JUDGE_EPOCHS = 6
# The DCGAN's compute precision (Keras dtype policy): "float32" or "mixed_bfloat16" (bf16 matrix products; whether
# it costs sample quality: benchmarks/dcgan_precision.py). The committed DCGAN was trained in float32.
GAN_PRECISION = "float32"
GAN_XLA = False  # the DCGAN's training step without XLA: the committed GANs were trained so (it measured slower here)
SGD_LEARNING_RATE = 0.01
TRANSFER_EPOCHS = 15
# The transfer trials: each one's notebook and the full-size parameters in which it differs from TRIAL_DEFAULTS (the
# original's recipe; HEAD: the layers transfer.discriminator_to_classifier adds). A further trial is a copy of a
# trial notebook with its parameters edited, and one line here: the runner, 06 and the record then treat it as these
# three (06 shows it without an original number).
TRIALS = {
    "trial1": ("03_trial1_frozen", {"HEAD": "dense10", "FROZEN_EPOCHS": 15}),
    "trial2": ("04_trial2_finetune", {"HEAD": "dense10", "FROZEN_EPOCHS": 5}),
    "trial3": ("05_trial3_dense128", {"HEAD": "dense128", "FROZEN_EPOCHS": 7}),
}
TRIAL_DEFAULTS = {
    "HEAD": "dense10",
    "FROZEN_EPOCHS": TRANSFER_EPOCHS,
    "TOTAL_EPOCHS": TRANSFER_EPOCHS,
    "LEARNING_RATE": SGD_LEARNING_RATE,
    "FINE_TUNE_OPTIMIZER": "sgd",
    "FINE_TUNE_LEARNING_RATE": SGD_LEARNING_RATE,
    "BATCH_SIZE": BATCH_SIZE,
    "SUBSET_SIZE": SUBSET_SIZE,
    "SEED": SEED,
}


def trial_parameters(trial: str) -> dict:
    """A trial's full-size parameters (its notebook's parameters cell)."""
    return {**TRIAL_DEFAULTS, **TRIALS[trial][1]}


def trial_of(notebook: str) -> str:
    """The trial a notebook trains (its key in :data:`TRIALS`)."""
    for trial, (trial_notebook, _) in TRIALS.items():
        if trial_notebook == notebook:
            return trial
    raise ValueError(
        f"{notebook} is no trial's notebook: add a line for it to TRIALS in digitgan/config.py, then restart the "
        "kernel (the package reads TRIALS when it is imported)"
    )


# The README's comparison (06, digitgan.compare): PCA + KNN, the CNN and trial 3 on SMALL_N_TRAIN training and
# SMALL_N_TEST test images; PCA + KNN's components and k chosen among these by CV_FOLDS-fold cross-validation (also
# the label study's PCA + KNN candidates, chosen there on the validation split).
SMALL_N_TRAIN = 1_000
SMALL_N_TEST = 1_000
PCA_COMPONENTS = (10, 20, 30, 50, 80)
KNN_KS = (1, 3, 5, 7)
CV_FOLDS = 5
# What every model and method is called in tables, figures and results.json keys.
NAMES = {
    "cnn": "CNN",
    "trial1": "Trial 1 (frozen)",
    "trial2": "Trial 2 (fine-tuned)",
    "trial3": "Trial 3 (Dense(128))",
    "pca_knn": "PCA + KNN",
    "ssgan": "semi-supervised GAN",
}


def name(key: str) -> str:
    """What a model is called: :data:`NAMES`, or a further trial's key and head ("Trial 4 (dense256)")."""
    if key in NAMES:
        return NAMES[key]
    return f"Trial {key.removeprefix('trial')} ({trial_parameters(key)['HEAD']})" if key in TRIALS else key


# A generated class histogram counts as mode collapse when a class is rarer or commoner than these fractions.
MODE_COLLAPSE_BOUNDS = (0.05, 0.20)

# Every result-shaping parameter of each notebook at full size: the study's protocol, one table. The notebooks'
# parameters cells hold these values (tests/test_notebooks.py checks it); a run with any other value is a scratch run
# (digitgan.runs). Parameters that change what a run does, not what it finds, are in ACTION_FLAGS.
FULL_SIZE = {
    "01_cnn_baseline": {
        "EPOCHS": CNN_EPOCHS,
        "SUBSET_SIZE": SUBSET_SIZE,
        "BATCH_SIZE": BATCH_SIZE,
        "LEARNING_RATE": SGD_LEARNING_RATE,
        "SEED": SEED,
    },
    "02_dcgan": {
        "EPOCHS": GAN_EPOCHS,
        "SUBSET_SIZE": SUBSET_SIZE,
        "BATCH_SIZE": BATCH_SIZE,
        "LEARNING_RATE": GAN_LEARNING_RATE,
        "CHECKPOINT_EVERY": GAN_CHECKPOINT_EVERY,
        "SCORE_EVERY": GAN_SCORE_EVERY,
        "SCORE_SAMPLES": GAN_SCORE_SAMPLES,
        "N_EVAL_SAMPLES": GAN_EVAL_SAMPLES,
        "JUDGE_N_TRAIN": N_TRAIN_FULL,
        "JUDGE_EPOCHS": JUDGE_EPOCHS,
        "SEED": SEED,
    },
    **{notebook: trial_parameters(trial) for trial, (notebook, _) in TRIALS.items()},
    "06_comparison": {
        "SMALL_N_TRAIN": SMALL_N_TRAIN,
        "SMALL_N_TEST": SMALL_N_TEST,
        "SMALL_EPOCHS": CNN_EPOCHS,
        "PCA_COMPONENTS": PCA_COMPONENTS,
        "KNN_KS": KNN_KS,
        "CV_FOLDS": CV_FOLDS,
        "RUN_FULL_PCA_KNN": True,
        "SUBSET_SIZE": SUBSET_SIZE,
        "SEED": SEED,
    },
}
ACTION_FLAGS = {"02_dcgan": ("RETRAIN",)}


# ---- The original study's numbers and the published references we compare with, stated once. The original is a
# student report with its repository (a baseline CNN and a DCGAN on a seed-42 10k MNIST subset; the README adds
# PCA + KNN on 1,000 images). The notebooks record these beside our numbers in figures/results.json.
# Train / test accuracy after 15 epochs on the 10k subset (report §2 and §4). Trial 3's test accuracy is
# given as "about 0.94".
ORIGINAL_ACCURACY = {
    "cnn": {"train_accuracy": 0.9624, "test_accuracy": 0.9597},
    "trial1": {"train_accuracy": 0.892, "test_accuracy": 0.905},
    "trial2": {"train_accuracy": 0.91, "test_accuracy": 0.921},
    "trial3": {"train_accuracy": 0.94, "test_accuracy": 0.94},
}
ORIGINAL_APPROXIMATE = {("trial3", "test_accuracy")}

# The README's comparison on 1,000 training and 1,000 test images; its own KNN did not finish at 2,000.
ORIGINAL_SMALL = {"pca_knn": 0.90, "trial3": 0.87, "cnn": 0.80}
ORIGINAL_PCA_KNN_ALL = "did not finish with 2,000 training images"


def original_number(key: str, measure: str) -> str:
    """One original number as the README prints it (``"≈0.94"`` where the report says "about")."""
    value = ORIGINAL_ACCURACY[key][measure]
    return ("≈" if (key, measure) in ORIGINAL_APPROXIMATE else "") + f"{value:g}"


def original_pair(key: str) -> str:
    return f"{original_number(key, 'train_accuracy')} / {original_number(key, 'test_accuracy')}"
