"""The extensions' settings (notebooks 07-11): the constants their code shares, and each notebook's full-size
parameters, which importing ``digitgan.extensions`` adds to ``config.FULL_SIZE`` (a run with any other value is a
scratch run)."""

from digitgan import config

# Semi-supervised GAN runs (one training state per label count and seed) and label-efficiency results.
SSGAN_STATE_NAME = "ssgan"
LABEL_EFFICIENCY_FILE = "label_study/runs.json"  # the label study's run store (digitgan.store)
LABEL_EFFICIENCY_CACHE = config.CHECKPOINT_DIR / LABEL_EFFICIENCY_FILE
# 11's mode-seeking weight is chosen on the real validation split among these, each conditional DCGAN trained for
# MODE_SEEKING_PROBE_EPOCHS and scored by a CNN trained on its digits (generated.choose_mode_seeking).
MODE_SEEKING_WEIGHTS = (0.0, 0.5, 1.0)
MODE_SEEKING_PROBE_EPOCHS = 10
MATCHED_WEIGHTS_NAME = "label_study/weights"  # the compute-matched CNN's and the SSGAN's kept weights (committed)

# The semi-supervised GAN (extensions.ssgan). The paper trains 300 epochs at 0.003 (constant); a 2-core CPU allows
# about 90 epochs in 27 minutes (17-18 s per epoch). The learning rate is chosen on the validation split among
# SSGAN_LEARNING_RATES with shorter runs (SSGAN_SWEEP_EPOCHS, early stop; 07_semi_supervised_gan.ipynb,
# label_efficiency.choose_ssgan_learning_rate). The rest of its recipe is in extensions/ssgan.py.
SSGAN_EPOCHS = 90  # the budget of every SSGAN run: 90 x 600 = 54,000 updates, at every label count
SSGAN_SWEEP_EPOCHS = 50  # the learning-rate choice's runs: at most 50 epochs ...
SSGAN_SWEEP_PATIENCE = 10  # ... stopped after this many epochs without a better validation accuracy
SSGAN_LEARNING_RATES = (0.003, 0.001)  # the paper's, and a third of it
# The SSGAN's one training step is fused (one discriminator pass over the stacked batches; a test checks it against
# one pass per batch): 1.13x as fast as the three-pass reference step on a 2-core EPYC without XLA, 6.4x slower with
# XLA (benchmarks/results/ssgan_step.json).
SSGAN_XLA = False
SSGAN_INIT_BATCH = 500  # unlabelled images of the weight-norm initialisation
SSGAN_N_LABELS = 100  # 07's labelled images: the paper's 100-label setting
# The label-efficiency study (08). Every choice is made on a validation split of labelled training images outside
# the labelled subset (data.validation_indices: balanced, seeded); the test set is read once per final model.
LABEL_EFFICIENCY_VAL = 1_000  # 100 per digit
CLASSIFIER_UPDATES = 1_500  # their budget at every label count: the original protocol's at 10k (15 x 100 batches)
# The report's future work (09-11).
LONGER_GAN_STAGES = (25, 50, 100, 150, 200)  # GAN epochs at which 09 exports and evaluates the discriminator
LONGER_GAN_LABEL_COUNTS = (config.SUBSET_SIZE, 1_000)  # the label counts at which 09 trains trial 3 on each stage
# 10's original protocol (protocols.run_protocols): each model with each optimizer at each data size, its learning
# rate chosen among these on the validation split at the first size.
PROTOCOL_VAL = 5_000  # 10's validation split: training images outside the 10k subset
PROTOCOLS_DIR = config.CHECKPOINT_DIR / "protocols"  # 10's run store
# A run's regularisation beyond learning rate and epochs (protocols.train_run's); runs with these keep their old keys.
RECIPE_DEFAULTS = dict(weight_decay=0.0, label_smoothing=0.0, strength=0.1, batch_size=config.BATCH_SIZE, dropout=0.0)
PROTOCOL_DATA_SIZES = (config.SUBSET_SIZE, config.N_TRAIN_FULL)
PROTOCOL_MODELS = ("cnn", "trial3")
PROTOCOL_OPTIMIZERS = ("sgd", "momentum", "adam")
PROTOCOL_LEARNING_RATES = {"sgd": (0.01, 0.03, 0.1), "momentum": (0.003, 0.01, 0.03), "adam": (3e-4, 1e-3, 3e-3)}
# The modern protocol's candidates (10, protocols.choose_recipe): learning rate, most epochs and dropout (on the Dense
# layers' inputs, protocols.RECIPE_DEFAULTS); each model's is chosen among them on the validation split. The dropout
# candidates were added after dropout 0.25 did best among MODERN_EXPLORED on the CNN (validation).
MODERN_DROPOUT_RECIPE = {"learning_rate": 0.001, "epochs": 120, "dropout": 0.25}  # also 11's probes' (below)
MODERN_RECIPES = (
    {"learning_rate": 0.001, "epochs": 30},
    {"learning_rate": 0.003, "epochs": 30},
    {"learning_rate": 0.001, "epochs": 60},
    {"learning_rate": 0.003, "epochs": 60},
    {"learning_rate": 0.001, "epochs": 60, "dropout": 0.25},
    {"learning_rate": 0.003, "epochs": 60, "dropout": 0.25},
    MODERN_DROPOUT_RECIPE,
)
# Further recipes tried on the CNN alone (validation, seed 42; protocols.explore_recipes): not among the candidates,
# so that both models choose among the same ones.
MODERN_EXPLORED = (
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
)
# 11's training sets for the CNN (generated.arm_data): real only, with classical augmentation, with generated digits
# added, generated digits only.
GENERATED_ARMS = (
    "real",
    "real + classical augmentation",
    "real + 10k generated",
    "real + 50k generated",
    "generated 10k",
    "generated 60k",
)
# Other ways to draw or to train on the generated digits, each scored on the real validation split by the CNN trained on
# 10k of them (generated.probe_samples; the six arms do not use them, the best is run as arms of its own,
# generated.run_best_probe_arms): noise_scale (the noise's standard deviation), keep (draw 1/keep times as many, keep
# each digit's best by the conditional discriminator), label_smoothing, modern (11's CNN with 10's modern recipe:
# augmentation, Adam 0.001, cosine, 30 epochs), recipe (any of 10's modern recipes; MODERN_DROPOUT_RECIPE is the one 10
# chose for the CNN), agree_with_real (only the digits that a CNN trained on the real 10k reads as the digit asked for).
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
    {
        "name": "real CNN agrees, dropout recipe, noise x 1.3",
        "recipe": MODERN_DROPOUT_RECIPE,
        "agree_with_real": True,
        "noise_scale": 1.3,
    },
)
# 11's CNN: its Adam learning rate chosen among these on the real validation split (generated.real_learning_rate);
# the best probe's train-on-generated arms have these sizes (generated.run_best_probe_arms).
GENERATED_LEARNING_RATES = (1e-3, 3e-3)
GENERATED_BEST_PROBE_SIZES = (config.SUBSET_SIZE, config.N_TRAIN_FULL)
LABEL_COUNTS = (100, 1000, 10_000)
LABEL_SEEDS = (42, 43, 44)
# The GAN's own run-to-run spread: DCGANs of these seeds trained with 02's recipe, scored at these epochs.
GAN_SPREAD_SEEDS = (43, 44)
GAN_SPREAD_STAGES = (25, 50)


# The label-efficiency study's methods (08_label_efficiency.ipynb), in its tables' order.
LABEL_EFFICIENCY_NAMES = {
    "cnn": "CNN (the original's SGD)",
    "trial3": "DCGAN discriminator, trial 3",
    "pca_knn": "PCA + KNN",
    "ssgan": "semi-supervised GAN",
}
LABEL_EFFICIENCY_METHODS = tuple(LABEL_EFFICIENCY_NAMES)

# The semi-supervised GAN with 100 labels: the paper (Salimans et al. 2016, "Improved Techniques for Training GANs",
# table 1: 93 ± 6.5 test errors of 10,000 over 10 seeds, 300 epochs on a GPU).
SSGAN_PAPER = {
    "test_accuracy": 0.9907,
    "std": 0.00065,
    "epochs": 300,
    "learning_rate": 0.003,
    "seeds": 10,
    "label": "Salimans et al. 2016 (300 epochs)",
}


def trial_schedule(trial: str) -> tuple[str, int]:
    """A trial's head and frozen epochs at full size (what the studies that retrain it key and build)."""
    parameters = config.trial_parameters(trial)
    return parameters["HEAD"], parameters["FROZEN_EPOCHS"]


# Every result-shaping parameter of notebooks 07-11 at full size (as config.FULL_SIZE for 01-06).
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
        "METHODS": LABEL_EFFICIENCY_METHODS,
        "SSGAN_EPOCHS": SSGAN_EPOCHS,
        "SSGAN_LEARNING_RATES": SSGAN_LEARNING_RATES,
        "SSGAN_SWEEP_EPOCHS": SSGAN_SWEEP_EPOCHS,
        "SSGAN_SWEEP_PATIENCE": SSGAN_SWEEP_PATIENCE,
        "N_VAL": LABEL_EFFICIENCY_VAL,
        "CLASSIFIER_UPDATES": CLASSIFIER_UPDATES,
        "N_UNLABELLED": config.N_TRAIN_FULL,
    },
    "09_longer_gan": {
        "STAGES": LONGER_GAN_STAGES,
        "SEEDS": LABEL_SEEDS,
        "LABEL_COUNTS": LONGER_GAN_LABEL_COUNTS,
        "N_VAL": LABEL_EFFICIENCY_VAL,
        "CLASSIFIER_UPDATES": CLASSIFIER_UPDATES,
        "SUBSET_SIZE": config.SUBSET_SIZE,
        "N_EVAL_SAMPLES": config.GAN_EVAL_SAMPLES,
        "SEED": config.SEED,
        "SPREAD_SEEDS": GAN_SPREAD_SEEDS,
        "SPREAD_STAGES": GAN_SPREAD_STAGES,
    },
    "10_data_and_optimizers": {
        "DATA_SIZES": PROTOCOL_DATA_SIZES,
        "MODELS": PROTOCOL_MODELS,
        "OPTIMIZERS": PROTOCOL_OPTIMIZERS,
        "LEARNING_RATES": PROTOCOL_LEARNING_RATES,
        "SEEDS": LABEL_SEEDS,
        "EPOCHS": config.TRANSFER_EPOCHS,
        "MODERN_RECIPES": MODERN_RECIPES,
        "MODERN_EXPLORED": MODERN_EXPLORED,
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
        "PROBE_EPOCHS": MODE_SEEKING_PROBE_EPOCHS,
        "SAMPLE_PROBES": GENERATED_PROBES,
        "BEST_PROBE_SIZES": GENERATED_BEST_PROBE_SIZES,
        "SEED": config.SEED,
    },
}
