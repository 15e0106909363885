"""The constants the extensions share and notebooks 07-11's full-size parameters (added to ``config.FULL_SIZE``)."""

from digitgan import config

SSGAN_STATE_NAME = "ssgan"
LABEL_EFFICIENCY_FILE = "label_study/runs.json"  # the label study's run store
LABEL_EFFICIENCY_CACHE = config.CHECKPOINT_DIR / LABEL_EFFICIENCY_FILE
MATCHED_WEIGHTS_NAME = "label_study/weights"  # the compute-matched CNN's and the SSGAN's kept weights (committed)
MODE_SEEKING_WEIGHTS = (0.0, 0.5, 1.0)  # 11's candidates, each scored after 10 epochs
SSGAN_EPOCHS = 90  # 90 x 600 = 54,000 updates at every label count (the paper: 300 epochs)
SSGAN_SWEEP_EPOCHS = 50  # the learning-rate choice's runs, stopped after SSGAN_SWEEP_PATIENCE epochs without progress
SSGAN_SWEEP_PATIENCE = 10
SSGAN_LEARNING_RATES = (0.003, 0.001)  # the paper's, and a third of it
SSGAN_XLA = False  # XLA made the fused step 6.4x slower on CPU (benchmarks/results/ssgan_step.json)
SSGAN_INIT_BATCH = 500  # unlabelled images of the weight-norm initialisation
SSGAN_N_LABELS = 100
LABEL_EFFICIENCY_VAL = 1_000  # the label study's validation split, outside the labelled subset
CLASSIFIER_UPDATES = 1_500  # the classifiers' budget at every label count
LABEL_COUNTS = (100, 1000, 10_000)
LABEL_SEEDS = (42, 43, 44)
MODERN_DROPOUT_RECIPE = {"learning_rate": 0.001, "epochs": 120, "dropout": 0.25}  # the recipe 10 chose for the CNN
MODERN_RECIPES = (  # 10's modern-protocol candidates
    *({"learning_rate": rate, "epochs": epochs} for epochs in (30, 60) for rate in (0.001, 0.003)),
    *({"learning_rate": rate, "epochs": 60, "dropout": 0.25} for rate in (0.001, 0.003)),
    MODERN_DROPOUT_RECIPE,
)
GENERATED_ARMS = (  # 11's training sets for the CNN
    "real",
    "real + classical augmentation",
    "real + 10k generated",
    "real + 50k generated",
    "generated 10k",
    "generated 60k",
)
_AGREES = {"recipe": MODERN_DROPOUT_RECIPE, "agree_with_real": True}
# 11's other ways to draw or train on the generated digits, scored on the real validation split (probe_samples)
GENERATED_PROBES = (
    {"name": "as drawn"},
    {"name": "discriminator's best half", "keep": 0.5},
    {"name": "discriminator's best quarter", "keep": 0.25},
    {"name": "noise x 0.7 (truncation)", "noise_scale": 0.7},
    {"name": "noise x 1.3", "noise_scale": 1.3},
    {"name": "label smoothing 0.1", "label_smoothing": 0.1},
    {"name": "modern recipe", "modern": True},
    {"name": "modern recipe, noise x 1.3", "modern": True, "noise_scale": 1.3},
    {"name": "dropout recipe", "recipe": MODERN_DROPOUT_RECIPE},
    {"name": "dropout recipe, noise x 1.3", "recipe": MODERN_DROPOUT_RECIPE, "noise_scale": 1.3},
    {"name": "real CNN agrees, dropout recipe", "recipe": MODERN_DROPOUT_RECIPE, "agree_with_real": True},
    {"name": "real CNN agrees, dropout recipe, noise x 1.3", **_AGREES, "noise_scale": 1.3},
)
GENERATED_LEARNING_RATES = (1e-3, 3e-3)  # 11's CNN's Adam candidates
LABEL_EFFICIENCY_NAMES = {  # 08's methods, in its tables' order
    "cnn": "CNN (the original's SGD)",
    "trial3": "DCGAN discriminator, trial 3",
    "pca_knn": "PCA + KNN",
    "ssgan": "semi-supervised GAN",
}
# Salimans et al. 2016, "Improved Techniques for Training GANs", table 1: 93 ± 6.5 test errors with 100 labels
SSGAN_PAPER = {
    "test_accuracy": 0.9907,
    "std": 0.00065,
    "epochs": 300,
    "learning_rate": 0.003,
    "seeds": 10,
    "label": "Salimans et al. 2016 (300 epochs)",
}


def trial_schedule(trial: str) -> tuple[str, int]:
    """A trial's head and frozen epochs at full size."""
    parameters = config.trial_parameters(trial)
    return parameters["HEAD"], parameters["FROZEN_EPOCHS"]


FULL_SIZE = {
    "07_semi_supervised_gan": {
        "N_LABELS": SSGAN_N_LABELS,
        "SEED": config.SEED,
        "EPOCHS": SSGAN_EPOCHS,
        "LEARNING_RATES": SSGAN_LEARNING_RATES,
        "SWEEP_EPOCHS": SSGAN_SWEEP_EPOCHS,
        "SWEEP_PATIENCE": SSGAN_SWEEP_PATIENCE,
        "N_VAL": LABEL_EFFICIENCY_VAL,
        "N_UNLABELLED": config.N_TRAIN_FULL,
    },
    "08_label_efficiency": {
        "LABEL_COUNTS": LABEL_COUNTS,
        "SEEDS": LABEL_SEEDS,
        "METHODS": tuple(LABEL_EFFICIENCY_NAMES),
        "SSGAN_EPOCHS": SSGAN_EPOCHS,
        "SSGAN_LEARNING_RATES": SSGAN_LEARNING_RATES,
        "SSGAN_SWEEP_EPOCHS": SSGAN_SWEEP_EPOCHS,
        "SSGAN_SWEEP_PATIENCE": SSGAN_SWEEP_PATIENCE,
        "N_VAL": LABEL_EFFICIENCY_VAL,
        "CLASSIFIER_UPDATES": CLASSIFIER_UPDATES,
        "N_UNLABELLED": config.N_TRAIN_FULL,
    },
    "09_longer_gan": {
        "STAGES": (25, 50, 100, 150, 200),
        "SEEDS": LABEL_SEEDS,
        "LABEL_COUNTS": (config.SUBSET_SIZE, 1_000),
        "N_VAL": LABEL_EFFICIENCY_VAL,
        "CLASSIFIER_UPDATES": CLASSIFIER_UPDATES,
        "SUBSET_SIZE": config.SUBSET_SIZE,
        "N_EVAL_SAMPLES": config.GAN_EVAL_SAMPLES,
        "SEED": config.SEED,
        "SPREAD_SEEDS": (43, 44),
        "SPREAD_STAGES": (25, 50),
    },
    "10_data_and_optimizers": {
        "DATA_SIZES": (config.SUBSET_SIZE, config.N_TRAIN_FULL),
        "MODELS": ("cnn", "trial3"),
        "OPTIMIZERS": ("sgd", "momentum", "adam"),
        "LEARNING_RATES": {"sgd": (0.01, 0.03, 0.1), "momentum": (0.003, 0.01, 0.03), "adam": (3e-4, 1e-3, 3e-3)},
        "SEEDS": LABEL_SEEDS,
        "EPOCHS": config.TRANSFER_EPOCHS,
        "MODERN_RECIPES": MODERN_RECIPES,
        "MODERN_EXPLORED": (  # tried on the CNN alone (validation): not among the candidates
            {"learning_rate": 0.001, "epochs": 30, "label_smoothing": 0.1},
            {"learning_rate": 0.001, "epochs": 30, "weight_decay": 0.05},
            {"learning_rate": 0.001, "epochs": 30, "strength": 0.05},
            {"learning_rate": 0.001, "epochs": 30, "strength": 0.15},
            {"learning_rate": 0.001, "epochs": 60, "strength": 0.05},
            {"learning_rate": 0.001, "epochs": 60, "strength": 0.075},
            {"learning_rate": 0.001, "epochs": 30, "batch_size": 32},
            {"learning_rate": 0.0005, "epochs": 30, "batch_size": 32},
            {"learning_rate": 0.001, "epochs": 120},
            {"learning_rate": 0.001, "epochs": 60, "dropout": 0.5},
            {"learning_rate": 0.001, "epochs": 60, "dropout": 0.25, "strength": 0.15},
        ),
    },
    "11_generated_digits": {
        "EPOCHS": config.GAN_EPOCHS,
        "N_GENERATED": config.N_TRAIN_FULL,
        "SUBSET_SIZE": config.SUBSET_SIZE,
        "N_EVAL_SAMPLES": config.GAN_EVAL_SAMPLES,
        "ARMS": GENERATED_ARMS,
        "SEEDS": LABEL_SEEDS,
        "CNN_EPOCHS": config.TRANSFER_EPOCHS,
        "LEARNING_RATES": GENERATED_LEARNING_RATES,
        "MODE_SEEKING_WEIGHTS": MODE_SEEKING_WEIGHTS,
        "PROBE_EPOCHS": 10,
        "SAMPLE_PROBES": GENERATED_PROBES,
        "BEST_PROBE_SIZES": (config.SUBSET_SIZE, config.N_TRAIN_FULL),
        "SEED": config.SEED,
    },
}
