"""The semi-supervised GAN of Salimans et al., "Improved Techniques for Training GANs" (NeurIPS 2016, sections 3.1
and 5; facts from their MNIST code, openai/improved-gan; the code is ours): its networks, training and 07's record.

- The discriminator's K = 10 class logits ``l`` read ``x`` as real with ``D = Z / (Z + 1)``, ``Z = sum_k exp(l_k)``;
  the generator matches the mean of its last hidden layer on a real batch (feature matching).
- Networks: an MLP 784-1000-500-250-250-250-10 (ReLU, weight normalisation with a data-dependent init, Gaussian noise
  0.3 on the input and 0.5 after each hidden layer, in training); uniform noise (100) through two 500-unit softplus
  layers with batch normalisation to 784 sigmoid pixels, mapped to the study's [-1, 1] (the discriminator maps back).
- Adam (beta_1 0.5) for both; test accuracy with an average of the discriminator's weights (decay 0.999: the paper's
  0.9999 is for 300 epochs); how it trains: :mod:`.ssgan_training`.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from digitgan import checks, config, training
from digitgan.checkpoint import PeriodicCheckpoint, TrainingCheckpoint, rng_state
from digitgan.extensions import constants
from digitgan.extensions.ssgan_training import (  # noqa: F401 - the losses and schedule, also named from here
    EMA_DECAY,
    FEATURES,
    SSGAN,
    EpochLog,
    feature_matching_loss,
    learning_rate_at,
    ssgan_batches,
    supervised_loss,
    unsupervised_loss,
)

PATIENCE = None  # no early stop: every run trains its whole budget, and keeps its best validation epoch
DECAY_FRACTION = 0.6  # the learning rate decays linearly over the last 40% of the epochs
DECAY_START = round(DECAY_FRACTION * constants.SSGAN_EPOCHS)  # 54 of 90
LEARNING_RATE = 0.001  # only the default of a single run; the study chooses among constants.SSGAN_LEARNING_RATES
CHECKPOINT_EVERY = 5
CHECKPOINT_DIR = config.CHECKPOINT_DIR / constants.SSGAN_STATE_NAME
KEPT_FILE = "ssgan_discriminator.weights.h5"  # 07's kept discriminator (the classifier it scores), in checkpoints/


@keras.saving.register_keras_serializable(package="digitgan")
class WeightNormDense(layers.Layer):
    """Dense layer with weight normalisation, ``y = act(x (g * v / ||v||) + b)``; ``train_scale=False`` keeps ``g``
    at what :func:`init_weight_norm` sets (the paper's hidden layers)."""

    def __init__(self, units, activation=None, train_scale=True, kernel_stddev=0.05, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, keras.activations.get(activation)
        self.train_scale, self.kernel_stddev = train_scale, kernel_stddev

    def build(self, input_shape):
        normal = keras.initializers.RandomNormal(stddev=self.kernel_stddev, seed=None)
        self.v = self.add_weight(shape=(input_shape[-1], self.units), initializer=normal, name="v")
        self.g = self.add_weight(shape=(self.units,), initializer="ones", trainable=self.train_scale, name="g")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def pre_activation(self, x, normalised_only=False):
        """``x v / ||v||`` (``normalised_only``) or the full ``x w + b``."""
        direction = ops.matmul(x, self.v) / ops.sqrt(ops.sum(ops.square(self.v), axis=0) + 1e-12)
        return direction if normalised_only else direction * self.g + self.b

    def call(self, x):
        return self.activation(self.pre_activation(x))

    def get_config(self):
        activation = keras.activations.serialize(self.activation)
        own = {"units": self.units, "activation": activation, "train_scale": self.train_scale}
        return {**super().get_config(), **own, "kernel_stddev": self.kernel_stddev}


def build_ssgan_discriminator(num_classes: int = config.NUM_CLASSES, seed: int = config.SEED) -> keras.Model:
    """The paper's MNIST discriminator: images in [-1, 1] -> 10 class logits (1,541,020 parameters)."""
    x = inputs = keras.Input(shape=config.IMAGE_SHAPE)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Rescaling(0.5, offset=0.5, name="to_unit_range")(x)  # the paper's pixels are in [0, 1]
    x = layers.GaussianNoise(0.3, seed=seed, name="noise0")(x)
    hidden = {"train_scale": False, "kernel_stddev": 0.1}
    for i, width in enumerate((1000, 500, 250, 250, 250), start=1):
        x = WeightNormDense(width, "relu", name=FEATURES if i == 5 else f"h{i}", **hidden)(x)
        x = layers.GaussianNoise(0.5, seed=seed + i, name=f"noise{i}")(x)
    logits = WeightNormDense(num_classes, train_scale=True, name="logits", kernel_stddev=0.1)(x)
    return keras.Model(inputs, logits, name="ssgan_discriminator")


def build_ssgan_generator() -> keras.Model:
    """The paper's MNIST generator: uniform noise (100,) -> image (28, 28, 1) in [-1, 1]."""
    dense, norm = {"use_bias": False, "dtype": "float32"}, {"scale": False, "dtype": "float32"}
    return keras.Sequential(
        [
            keras.Input(shape=(config.NOISE_DIM,)),
            *(layers.Dense(500, **dense), layers.BatchNormalization(**norm), layers.Activation("softplus")),
            *(layers.Dense(500, **dense), layers.BatchNormalization(**norm), layers.Activation("softplus")),
            WeightNormDense(28 * 28, train_scale=True, kernel_stddev=0.05, name="pixels"),
            layers.Activation("sigmoid"),  # the paper's [0, 1] pixels ...
            layers.Rescaling(2.0, offset=-1.0),  # ... mapped to the study's [-1, 1]
            layers.Reshape(config.IMAGE_SHAPE),
        ],
        name="ssgan_generator",
    )


def init_weight_norm(model: keras.Model, x: np.ndarray) -> None:
    """Data-dependent initialisation, layer by layer on ``x`` with the Gaussian noise on (as in the paper's code):
    each WeightNormDense sets ``g = 1 / std``, ``b = -mean / std`` of its normalised pre-activation."""
    h = ops.convert_to_tensor(x)
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, WeightNormDense):
            pre = layer.pre_activation(h, normalised_only=True)
            mean = ops.mean(pre, axis=0)
            std = ops.sqrt(ops.mean(ops.square(pre - mean), axis=0) + 1e-8)
            layer.g.assign(1.0 / std)
            layer.b.assign(-mean / std)
        h = layer(h, training=True)


def build_ssgan(
    x_init: np.ndarray | None = None,
    learning_rate: float = LEARNING_RATE,
    ema_decay: float = EMA_DECAY,
    seed: int = config.SEED,
    jit_compile: bool = constants.SSGAN_XLA,
    steps_per_execution: int = 1,
) -> SSGAN:
    """A compiled SSGAN with fresh networks; ``x_init`` (real images) runs the data-dependent init. ``jit_compile``:
    XLA (6.4x slower on the CPUs measured, ``benchmarks/ssgan_step.py``)."""
    discriminator = build_ssgan_discriminator(seed=seed)
    if x_init is not None:
        init_weight_norm(discriminator, x_init)
    ema, best = build_ssgan_discriminator(seed=seed), build_ssgan_discriminator(seed=seed)
    ema.set_weights(discriminator.get_weights())
    best.set_weights(discriminator.get_weights())
    model = SSGAN(build_ssgan_generator(), discriminator, ema, best, config.NOISE_DIM, seed, ema_decay)
    adam = functools.partial(keras.optimizers.Adam, learning_rate, beta_1=0.5)
    model.compile(
        g_optimizer=adam(), d_optimizer=adam(), jit_compile=jit_compile, steps_per_execution=steps_per_execution
    )
    return model


def train_ssgan(
    data: dict,
    epochs: int = constants.SSGAN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    decay_start: int | None = DECAY_START,
    ema_decay: float = EMA_DECAY,
    *,
    checkpoint_dir: Path,
    checkpoint_every: int = CHECKPOINT_EVERY,
    retrain: bool = False,
    seed: int = config.SEED,
    jit_compile: bool = constants.SSGAN_XLA,
    verbose: int = 2,
    log_dir: Path | None = None,
    patience: int | None = PATIENCE,
) -> tuple[SSGAN, dict]:
    """Train (or resume, or reload) an SSGAN on ``load_label_efficiency_data(..., n_val=...)`` arrays, scored on the
    validation split every epoch (the test set is not read); ``model.best_discriminator`` ends with the best epoch's
    weights. A finished state in ``checkpoint_dir`` is reloaded unless ``retrain``, an interrupted one continues;
    ``log_dir``: TensorBoard logs of the losses, accuracies and samples."""
    from digitgan.utils import set_seed

    checks.labelled(data, ("train", "val"))  # present; images float, finite, in [-1, 1]; labels 0-9; none empty
    if "x_unlabelled" not in data:
        raise ValueError("data has no 'x_unlabelled': pass the dict of digitgan.data.load_label_efficiency_data()")
    checks.images("data['x_unlabelled']", data["x_unlabelled"])
    n_labels, n_unl = len(data["y_train"]), len(data["x_unlabelled"])
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.batch_size(batch_size, n_unl, "batch_size (vs. the unlabelled images)")
    checks.learning_rate(learning_rate)
    checks.seed(seed)
    checks.fraction("ema_decay", ema_decay)
    if decay_start is not None:
        checks.integer("decay_start", decay_start, 0)  # at or after the last epoch: no decay
    if patience is not None:
        patience = checks.integer("patience", patience, 1)
    checkpoint_every = checks.integer("checkpoint_every", checkpoint_every, 1)
    jit_compile = checks.choice("jit_compile", jit_compile, (False, True))
    set_seed(seed, deterministic=not jit_compile)
    if retrain and Path(checkpoint_dir).exists():
        shutil.rmtree(checkpoint_dir)
    # the data-dependent init draws no random numbers: a restore overwrites it with the saved weights
    init_idx = np.random.default_rng(seed).choice(n_unl, min(constants.SSGAN_INIT_BATCH, n_unl), replace=False)
    recipe = {"learning_rate": learning_rate, "ema_decay": ema_decay, "seed": seed, "jit_compile": jit_compile}
    model = build_ssgan(data["x_unlabelled"][init_idx], steps_per_execution=n_unl // batch_size, **recipe)
    settings = {"n_labels": n_labels, "n_unlabelled": n_unl, "n_val": len(data["y_val"]), "batch_size": batch_size}
    settings |= {"learning_rate": learning_rate, "decay_start": decay_start, "ema_decay": ema_decay, "seed": seed}
    settings |= {"step": "fused", "matmul_dtype": "float32", "patience": patience}  # as the saved states record them
    names = ("generator", "discriminator", "ema_discriminator", "best_discriminator", "g_optimizer", "d_optimizer")
    state = {k: getattr(model, k) for k in names} | {"rng_state": rng_state(model.generator, model.discriminator)}
    ckpt = TrainingCheckpoint(Path(checkpoint_dir), max_to_keep=2, settings=settings, **state)
    keys = (*SSGAN.LOSSES, "val_accuracy", "val_accuracy_raw", "epoch_seconds")
    empty = {**{k: [] for k in keys}, "best": {}}
    start, history = ckpt.resume(epochs, f"the SSGAN ({n_labels} labels, seed {seed})", empty)
    if len(history["epoch_seconds"]) >= epochs or "stopped_at" in history:
        if "stopped_at" in history:
            print(f"Stopped early at epoch {history['stopped_at']} (no better validation accuracy for {patience}).")
        return model, history
    callbacks = [EpochLog(history, data["x_val"], data["y_val"], learning_rate, decay_start, epochs, patience)]
    if log_dir is not None:  # the epoch's losses and accuracies, and 50 samples
        from digitgan.quality import noise

        grid = noise(50, -1, "uniform", seed=seed)
        callbacks.append(training.GanLog(log_dir, history, grid, epoch_keys=keys[:-1], ncols=10))
    callbacks.append(PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs))  # also saves an early stop
    batches = ssgan_batches(data["x_train"], data["y_train"], data["x_unlabelled"], batch_size, start, epochs, seed)
    fit = {"initial_epoch": start, "steps_per_epoch": n_unl // batch_size, "verbose": verbose}
    model.fit(batches, epochs=epochs, callbacks=callbacks, shuffle=False, **fit)  # the batches are shuffled
    return model, history


def summarize(history, data, y_pred, confused, seed: int, run_settings: dict, learning_rate_choice: list) -> dict:
    """What results.json records under ``"ssgan"``: the kept weights' test accuracy (the one reading of the test
    set), the validation curves and the learning-rate choice."""
    best, seconds, s = history["best"], history["epoch_seconds"], run_settings
    n = {"n_labels": len(data["y_train"]), "n_train": len(data["y_train"]), "n_val": len(data["y_val"])}
    out = {**n, "n_unlabelled": len(data["x_unlabelled"]), "seed": seed, "epochs": len(seconds)}
    out |= {"max_epochs": s["epochs"], "stopped_at": history.get("stopped_at"), "patience": s["patience"]}
    out |= {"learning_rate": s["learning_rate"], "decay_start": s["decay_start"], "kept_epoch": best["epoch"]}
    out |= {"kept_weights": best["weights"], "val_accuracy": best["val_accuracy"]}
    out |= {"test_accuracy": float(np.mean(y_pred == data["y_test"])), "seconds": round(sum(seconds), 1)}
    out["seconds_per_epoch"] = round(float(np.mean(seconds)), 1)
    out["history"] = {k: [round(float(v), 5) for v in vals] for k, vals in history.items() if isinstance(vals, list)}
    out |= {"learning_rate_choice": learning_rate_choice, "most_confused": confused.to_dict("records")}
    return {**out, "label_indices": data["label_indices"], "val_indices": data["val_indices"]}
