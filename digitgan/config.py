"""Every path and constant of the study; ``DIGITGAN_{FIGURES,CHECKPOINT,DATA,RUNS}_DIR`` move its folders."""

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parent.parent


def _dir(env: str, default: Path) -> Path:
    return Path(os.environ[env]).resolve() if os.environ.get(env) else default


DATA_DIR = _dir("DIGITGAN_DATA_DIR", PROJ_ROOT / "data")
CHECKPOINT_DIR = _dir("DIGITGAN_CHECKPOINT_DIR", PROJ_ROOT / "checkpoints")
FIGURES_DIR = _dir("DIGITGAN_FIGURES_DIR", PROJ_ROOT / "figures")
RUNS_DIR = _dir("DIGITGAN_RUNS_DIR", PROJ_ROOT / "runs")
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
COMMITTED_DIRS = (PROJ_ROOT / "figures", PROJ_ROOT / "checkpoints")
STUDY_RUN_ENV = "DIGITGAN_STUDY_RUN"  # "1" only in the study's runner (make reproduce and its siblings)
COMMITTED_RESULTS_PATH = PROJ_ROOT / "figures" / "results.json"  # what the README's tables are made from
RESULTS_PATH = FIGURES_DIR / "results.json"

# File names inside a checkpoints/ or figures/ folder (the study's, or a scratch run's).
GENERATOR_FILE = "generator.weights.h5"
DISCRIMINATOR_FILE = "discriminator.weights.h5"
GAN_HISTORY_FILE = "dcgan_history.json"
GAN_GIF_FILE = "dcgan_training.gif"
JUDGE_FILE = "judge.weights.h5"

DISCRIMINATOR_PATH = CHECKPOINT_DIR / DISCRIMINATOR_FILE
STUDY_SEEDS_STORE = CHECKPOINT_DIR / "study_seeds" / "runs.json"  # the CNN and trials 1-3 at seeds 42-44 (make claims)
JUDGE_PATH = CHECKPOINT_DIR / JUDGE_FILE


def weights_file(name: str) -> str:
    return f"{name}.weights.h5"


def shown(path) -> str:
    """``path`` relative to the repository if inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJ_ROOT)) if path.is_relative_to(PROJ_ROOT) else str(path)


# The study's protocol (the original's).
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
GAN_PRECISION = "float32"  # or "mixed_bfloat16" (benchmarks/dcgan_precision.py): the committed DCGAN is float32
GAN_XLA = False  # the committed GANs were trained without XLA (it measured slower here)
SGD_LEARNING_RATE = 0.01
TRANSFER_EPOCHS = 15
# The transfer trials: notebook and parameters other than TRIAL_DEFAULTS (a further trial: a notebook and a line here).
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
    return {**TRIAL_DEFAULTS, **TRIALS[trial][1]}


def trial_of(notebook: str) -> str:
    """The trial a notebook trains (its key in :data:`TRIALS`)."""
    if found := [trial for trial, (trial_notebook, _) in TRIALS.items() if trial_notebook == notebook]:
        return found[0]
    raise ValueError(f"{notebook} is no trial's notebook: add it to TRIALS in digitgan/config.py, restart the kernel")


# The README's comparison (06) on small splits; PCA + KNN's candidates chosen by cross-validation.
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

# Each notebook's result-shaping parameters at full size (other values: a scratch run); the rest in ACTION_FLAGS.
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


# The original report's train / test accuracy after 15 epochs on the 10k subset (§2, §4; trial 3's test: "about").
ORIGINAL_ACCURACY = {
    "cnn": {"train_accuracy": 0.9624, "test_accuracy": 0.9597},
    "trial1": {"train_accuracy": 0.892, "test_accuracy": 0.905},
    "trial2": {"train_accuracy": 0.91, "test_accuracy": 0.921},
    "trial3": {"train_accuracy": 0.94, "test_accuracy": 0.94},
}
ORIGINAL_APPROXIMATE = {("trial3", "test_accuracy")}

# The original README's comparison on 1,000 training and 1,000 test images.
ORIGINAL_SMALL = {"pca_knn": 0.90, "trial3": 0.87, "cnn": 0.80}
ORIGINAL_PCA_KNN_ALL = "did not finish with 2,000 training images"


def original_number(key: str, measure: str) -> str:
    """One original number as the README prints it (``"≈0.94"`` where the report says "about")."""
    value = ORIGINAL_ACCURACY[key][measure]
    return ("≈" if (key, measure) in ORIGINAL_APPROXIMATE else "") + f"{value:g}"


def original_pair(key: str) -> str:
    return f"{original_number(key, 'train_accuracy')} / {original_number(key, 'test_accuracy')}"
