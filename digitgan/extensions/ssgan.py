"""The semi-supervised GAN of Salimans et al. 2016 (its MNIST code): networks, training and 07's record."""

from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from digitgan import checks, config, training
from digitgan.checkpoint import PeriodicCheckpoint, TrainingCheckpoint, rng_state
from digitgan.extensions import constants
from digitgan.extensions.ssgan_networks import (
    FEATURES,
    WeightNormDense,
    build_ssgan_discriminator,
    build_ssgan_generator,
)
from digitgan.gan import AdversarialModel
from digitgan.utils import set_seed

PATIENCE = None  # no early stop: every run trains its whole budget, and keeps its best validation epoch
DECAY_FRACTION = 0.6  # the learning rate decays linearly over the last 40% of the epochs
DECAY_START = round(DECAY_FRACTION * constants.SSGAN_EPOCHS)  # 54 of 90
LEARNING_RATE = 0.001  # only the default of a single run; the study chooses among constants.SSGAN_LEARNING_RATES
CHECKPOINT_EVERY = 5
CHECKPOINT_DIR = config.CHECKPOINT_DIR / constants.SSGAN_STATE_NAME
KEPT_FILE = "ssgan_discriminator.weights.h5"  # 07's kept discriminator (the classifier it scores), in checkpoints/
EMA_DECAY = 0.999  # the averaged discriminator weights


def _init_weight_norm(model: keras.Model, x: np.ndarray) -> None:
    """Data-dependent init on ``x``, noise on: each WeightNormDense's ``g = 1 / std``, ``b = -mean / std``."""
    h = ops.convert_to_tensor(x)
    for layer in model.layers[1:]:  # after the input
        if isinstance(layer, WeightNormDense):
            pre = layer.pre_activation(h, normalised_only=True)
            mean = ops.mean(pre, axis=0)
            std = ops.sqrt(ops.mean(ops.square(pre - mean), axis=0) + 1e-8)
            layer.g.assign(1.0 / std)
            layer.b.assign(-mean / std)
        h = layer(h, training=True)


def supervised_loss(labels, logits):
    """Cross-entropy of the K real classes on labelled images."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


def unsupervised_loss(real_logits, fake_logits):
    """``-log D(x) - log(1 - D(G(z)))`` with ``D = Z / (Z + 1)``, halved as in the paper's code."""
    lse_real, lse_fake = ops.logsumexp(real_logits, axis=1), ops.logsumexp(fake_logits, axis=1)
    return 0.5 * (-ops.mean(lse_real) + ops.mean(ops.softplus(lse_real)) + ops.mean(ops.softplus(lse_fake)))


def feature_matching_loss(real_features, fake_features):
    """Squared distance between the mean features of a real and a generated batch."""
    return ops.mean(ops.square(ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)))


class SSGAN(AdversarialModel):
    """Trained by ``fit()`` on ``(x_lab, y_lab, x_unl, x_unl2)``: a discriminator update, the average, a generator's."""

    LOSSES = ("loss_lab", "loss_unl", "g_loss", "train_error")  # train_error: on the labelled batch

    def __init__(self, generator, discriminator, ema, best, noise_dim, seed, ema_decay):
        super().__init__(generator, discriminator, noise_dim, seed)
        # best: the weights with the best validation accuracy so far
        self.ema_discriminator, self.best_discriminator, self.ema_decay = ema, best, ema_decay
        features = discriminator.get_layer(FEATURES).output
        self.features = keras.Model(discriminator.inputs, features, name="ssgan_features")

    def call(self, images, training=False):
        return self.discriminator(images, training=training)

    def _noise(self, batch, stream):
        step = tf.cast(self.d_optimizer.iterations, tf.int32)
        return tf.random.stateless_uniform([batch, self.noise_dim], seed=tf.stack([self.seed + stream, step]))

    def train_step(self, data):
        x_lab, y_lab, x_unl, x_unl2 = data
        batch = tf.shape(x_unl)[0]
        fake = self.generator(self._noise(batch, 0), training=True)
        loss_lab, loss_unl, logits_lab, d_grads = self.discriminator_gradients(x_lab, y_lab, x_unl, fake)
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars, strict=True))
        for avg, var in zip(self.ema_discriminator.trainable_variables, d_vars, strict=True):
            avg.assign(self.ema_decay * avg + (1.0 - self.ema_decay) * var)
        g_loss, g_grads = self.generator_gradients(x_unl2, self._noise(batch, 1))
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables, strict=True))
        predicted = ops.cast(ops.argmax(logits_lab, axis=1), "int64")
        error = ops.mean(ops.cast(ops.not_equal(predicted, y_lab), "float32"))
        return self.track_losses(loss_lab=loss_lab, loss_unl=loss_unl, g_loss=g_loss, train_error=error)

    def discriminator_gradients(self, x_lab, y_lab, x_unl, fake):
        """``(loss_lab, loss_unl, logits_lab, gradients)`` from one pass over the three batches stacked."""
        sizes = [x_lab.shape[0], x_unl.shape[0], x_unl.shape[0]]  # static where known: XLA needs them
        sizes = tf.stack([tf.shape(x_lab)[0], tf.shape(x_unl)[0], tf.shape(x_unl)[0]]) if None in sizes else sizes
        with tf.GradientTape() as tape:
            logits = self.discriminator(tf.concat([x_lab, x_unl, fake], axis=0), training=True)
            logits_lab, logits_unl, logits_fake = tf.split(logits, sizes)
            loss_lab, loss_unl, d_loss = self.discriminator_losses(y_lab, logits_lab, logits_unl, logits_fake)
        return loss_lab, loss_unl, logits_lab, tape.gradient(d_loss, self.discriminator.trainable_variables)

    def discriminator_losses(self, y_lab, logits_lab, logits_unl, logits_fake):
        """``(supervised, unsupervised, total)``: the discriminator's loss from its logits on the three batches."""
        loss_lab, loss_unl = supervised_loss(y_lab, logits_lab), unsupervised_loss(logits_unl, logits_fake)
        return loss_lab, loss_unl, loss_lab + loss_unl

    def generator_gradients(self, x_unl2, noise):
        """``(g_loss, gradients)``: feature matching with one feature pass over real and generated images."""
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            real_features, fake_features = tf.split(self.features(tf.concat([x_unl2, fake], 0), training=True), 2)
            g_loss = feature_matching_loss(real_features, fake_features)
        return g_loss, tape.gradient(g_loss, self.generator.trainable_variables)


def build_ssgan(
    x_init: np.ndarray | None = None,
    learning_rate: float = LEARNING_RATE,
    seed: int = config.SEED,
    jit_compile: bool = constants.SSGAN_XLA,
    steps_per_execution: int = 1,
) -> SSGAN:
    """A compiled SSGAN with fresh networks; ``x_init`` (real images) runs the data-dependent init."""
    discriminator = build_ssgan_discriminator(seed=seed)
    if x_init is not None:
        _init_weight_norm(discriminator, x_init)
    ema, best = build_ssgan_discriminator(seed=seed), build_ssgan_discriminator(seed=seed)
    for copy in (ema, best):
        copy.set_weights(discriminator.get_weights())
    model = SSGAN(build_ssgan_generator(), discriminator, ema, best, config.NOISE_DIM, seed, EMA_DECAY)
    adam = functools.partial(keras.optimizers.Adam, learning_rate, beta_1=0.5)
    model.compile(adam(), adam(), jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    return model


def ssgan_batches(x_lab, y_lab, x_unl, batch_size: int, first_epoch: int, last_epoch: int, seed: int = config.SEED):
    """Batches of epochs ``first_epoch..last_epoch - 1``: two shuffled passes over ``x_unl``, ``x_lab`` tiled."""
    needed = len(x_unl) // batch_size * batch_size

    def epoch_indices(epoch):
        rng = np.random.default_rng([seed, epoch])
        unl, unl2 = rng.permutation(len(x_unl))[:needed], rng.permutation(len(x_unl))[:needed]
        lab = np.concatenate([rng.permutation(len(x_lab)) for _ in range(-(-needed // len(x_lab)))])[:needed]
        return np.stack([lab, unl, unl2], axis=1).astype(np.int32)

    # index triples for every step, gathered inside tf.data (no Python per step)
    order = np.concatenate([epoch_indices(e) for e in range(first_epoch, last_epoch)])
    x_lab_t, y_lab_t, x_unl_t = tf.constant(x_lab), tf.constant(y_lab, tf.int64), tf.constant(x_unl)

    def gather(idx):
        return tuple(tf.gather(t, idx[:, i]) for t, i in ((x_lab_t, 0), (y_lab_t, 0), (x_unl_t, 1), (x_unl_t, 2)))

    batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)
    return batches.map(gather, num_parallel_calls=1, deterministic=True).prefetch(2)


def _learning_rate_at(epoch: int, learning_rate: float, decay_start: int | None, epochs: int) -> float:
    """Constant, then (from ``decay_start``) linearly down to a tenth at the last epoch."""
    if decay_start is None or epoch < decay_start or epochs <= decay_start:
        return learning_rate
    return learning_rate * (1.0 - 0.9 * ((epoch - decay_start + 1) / (epochs - decay_start)))


class _EpochLog(keras.callbacks.Callback):
    """Sets each epoch's learning rate; logs it, keeps the best validation epoch's weights, stops after ``patience``."""

    def __init__(self, history, val, schedule, epochs, patience):
        super().__init__()
        self.history, self.val, self.schedule, self.epochs, self.patience = history, val, schedule, epochs, patience

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        for optimizer in (self.model.d_optimizer, self.model.g_optimizer):
            optimizer.learning_rate.assign(self.schedule(epoch))

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start  # training only; the evaluation below is not counted
        h, model = self.history, self.model
        for key in SSGAN.LOSSES:
            h[key].append(round(float(logs[key]), 6))
        for key, weights in (("val_accuracy", model.ema_discriminator), ("val_accuracy_raw", model.discriminator)):
            h[key].append(training.accuracy(weights, *self.val, batch_size=2000))
        h["epoch_seconds"].append(seconds)
        logs |= {key: h[key][-1] for key in ("val_accuracy", "val_accuracy_raw")}  # TensorBoard's validation scalars
        value, weights = max((h["val_accuracy"][-1], "averaged"), (h["val_accuracy_raw"][-1], "raw"))
        if value > h["best"].get("val_accuracy", -1.0):
            source = model.ema_discriminator if weights == "averaged" else model.discriminator
            model.best_discriminator.set_weights(source.get_weights())
            h["best"] = {"epoch": epoch + 1, "weights": weights, "val_accuracy": value}
        if self.patience and epoch + 1 - h["best"]["epoch"] >= self.patience and epoch + 1 < self.epochs:
            h["stopped_at"] = epoch + 1
            model.stop_training = True
        stop = f"; none better than epoch {h['best']['epoch']} for {self.patience}: stop" if model.stop_training else ""
        accuracies = f"{h['val_accuracy'][-1]:.4f} (averaged weights), {h['val_accuracy_raw'][-1]:.4f} (raw)"
        print(f"epoch {epoch + 1}: validation accuracy {accuracies}, {seconds:.0f} s{stop}", flush=True)


def train_ssgan(
    data: dict,
    epochs: int = constants.SSGAN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    decay_start: int | None = DECAY_START,
    *,
    checkpoint_dir: Path,
    retrain: bool = False,
    seed: int = config.SEED,
    jit_compile: bool = constants.SSGAN_XLA,
    verbose: int = 2,
    log_dir: Path | None = None,
    patience: int | None = PATIENCE,
) -> tuple[SSGAN, dict]:
    """Train, resume or reload (unless ``retrain``) an SSGAN, scored on validation each epoch, its best epoch kept."""
    checks.labelled(data, ("train", "val"))  # present; images float, finite, in [-1, 1]; labels 0-9; none empty
    if "x_unlabelled" not in data:
        raise ValueError("data has no 'x_unlabelled': pass the dict of digitgan.data.load_label_efficiency_data()")
    checks.images("data['x_unlabelled']", data["x_unlabelled"])
    n_labels, n_unl = len(data["y_train"]), len(data["x_unlabelled"])
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.batch_size(batch_size, n_unl, "batch_size (vs. the unlabelled images)")
    checks.learning_rate(learning_rate), checks.seed(seed)
    if decay_start is not None:
        checks.integer("decay_start", decay_start, 0)  # at or after the last epoch: no decay
    patience = None if patience is None else checks.integer("patience", patience, 1)
    jit_compile = checks.choice("jit_compile", jit_compile, (False, True))
    set_seed(seed, deterministic=not jit_compile)
    if retrain and Path(checkpoint_dir).exists():
        shutil.rmtree(checkpoint_dir)
    # the data-dependent init draws no random numbers: a restore overwrites it with the saved weights
    init_idx = np.random.default_rng(seed).choice(n_unl, min(constants.SSGAN_INIT_BATCH, n_unl), replace=False)
    recipe = {"learning_rate": learning_rate, "seed": seed, "jit_compile": jit_compile}
    model = build_ssgan(data["x_unlabelled"][init_idx], steps_per_execution=n_unl // batch_size, **recipe)
    settings = {"n_labels": n_labels, "n_unlabelled": n_unl, "n_val": len(data["y_val"]), "batch_size": batch_size}
    settings |= {"learning_rate": learning_rate, "decay_start": decay_start, "ema_decay": EMA_DECAY, "seed": seed}
    settings |= {"step": "fused", "matmul_dtype": "float32", "patience": patience}  # as the saved states record them
    names = ("generator", "discriminator", "ema_discriminator", "best_discriminator", "g_optimizer", "d_optimizer")
    state = {k: getattr(model, k) for k in names} | {"rng_state": rng_state(model.generator, model.discriminator)}
    ckpt = TrainingCheckpoint(Path(checkpoint_dir), max_to_keep=2, settings=settings, **state)
    keys = (*SSGAN.LOSSES, "val_accuracy", "val_accuracy_raw", "epoch_seconds")
    empty = {k: [] for k in keys} | {"best": {}}
    start, history = ckpt.resume(epochs, f"the SSGAN ({n_labels} labels, seed {seed})", empty)
    if "stopped_at" in history:
        print(f"Stopped early at epoch {history['stopped_at']} (no better validation accuracy for {patience}).")
    if len(history["epoch_seconds"]) >= epochs or "stopped_at" in history:
        return model, history
    schedule = functools.partial(_learning_rate_at, learning_rate=learning_rate, decay_start=decay_start, epochs=epochs)
    callbacks = [_EpochLog(history, (data["x_val"], data["y_val"]), schedule, epochs, patience)]
    if log_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir, write_graph=False))
    callbacks.append(PeriodicCheckpoint(ckpt, history, CHECKPOINT_EVERY, epochs))  # also saves an early stop
    batches = ssgan_batches(data["x_train"], data["y_train"], data["x_unlabelled"], batch_size, start, epochs, seed)
    fit = {"initial_epoch": start, "steps_per_epoch": n_unl // batch_size, "verbose": verbose}
    model.fit(batches, epochs=epochs, callbacks=callbacks, shuffle=False, **fit)  # the batches are shuffled
    return model, history


def summarize(history, data, y_pred, confused, seed: int, run_settings: dict, learning_rate_choice: list) -> dict:
    """What results.json records under ``"ssgan"``: the kept weights' test accuracy, the curves, the rate choice."""
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
