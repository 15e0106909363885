"""How the semi-supervised GAN (:mod:`.ssgan`) trains: its losses and training step (one discriminator update on
labelled, unlabelled and generated images, the averaged weights, one generator update by feature matching), each
epoch's batches (drawn from the seed and the epoch alone, so that a resumed run repeats an uninterrupted one), the
learning rate, and each epoch's log of losses, validation accuracies and best weights."""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from digitgan import config, training
from digitgan.gan import AdversarialModel

EMA_DECAY = 0.999  # the averaged discriminator weights
FEATURES = "features"  # the discriminator's last hidden layer, matched by the generator


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
    """Generator and K-class discriminator trained by ``fit()`` on ``(x_lab, y_lab, x_unl, x_unl2)`` batches."""

    LOSSES = ("loss_lab", "loss_unl", "g_loss", "train_error")  # train_error: on the labelled batch

    def __init__(
        self, generator, discriminator, ema_discriminator, best_discriminator, noise_dim, seed, ema_decay, **kw
    ):
        super().__init__(generator, discriminator, noise_dim, seed, **kw)
        self.ema_discriminator = ema_discriminator
        self.best_discriminator = best_discriminator  # the weights with the best validation accuracy so far
        features = discriminator.get_layer(FEATURES).output
        self.features = keras.Model(discriminator.inputs, features, name="ssgan_features")
        self.unlabelled_weight, self.ema_decay = 1.0, ema_decay

    def call(self, images, training=False):
        return self.discriminator(images, training=training)

    def _noise(self, batch, stream):
        step = tf.cast(self.d_optimizer.iterations, tf.int32)
        return tf.random.stateless_uniform([batch, self.noise_dim], seed=tf.stack([self.seed + stream, step]))

    def train_step(self, data):
        """A discriminator update on labelled, unlabelled and generated images, the averaged weights, then a
        generator update by feature matching against the updated discriminator."""
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
        """``(loss_lab, loss_unl, logits_lab, gradients)`` from one discriminator pass over the three batches stacked:
        what one pass per batch computes (up to the Gaussian noise; a test checks it), with faster matrix products."""
        sizes = [x_lab.shape[0], x_unl.shape[0], x_unl.shape[0]]  # static where known: XLA needs them
        if None in sizes:
            sizes = tf.stack([tf.shape(x_lab)[0], tf.shape(x_unl)[0], tf.shape(x_unl)[0]])
        with tf.GradientTape() as tape:
            logits = self.discriminator(tf.concat([x_lab, x_unl, fake], axis=0), training=True)
            logits_lab, logits_unl, logits_fake = tf.split(logits, sizes)
            loss_lab, loss_unl, d_loss = self.discriminator_losses(y_lab, logits_lab, logits_unl, logits_fake)
        return loss_lab, loss_unl, logits_lab, tape.gradient(d_loss, self.discriminator.trainable_variables)

    def discriminator_losses(self, y_lab, logits_lab, logits_unl, logits_fake):
        """``(supervised, unsupervised, total)``: the discriminator's loss from its logits on the three batches."""
        loss_lab, loss_unl = supervised_loss(y_lab, logits_lab), unsupervised_loss(logits_unl, logits_fake)
        return loss_lab, loss_unl, loss_lab + self.unlabelled_weight * loss_unl

    def generator_gradients(self, x_unl2, noise):
        """``(g_loss, gradients)``: feature matching with one feature pass over real and generated images."""
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            real_features, fake_features = tf.split(self.features(tf.concat([x_unl2, fake], 0), training=True), 2)
            g_loss = feature_matching_loss(real_features, fake_features)
        return g_loss, tape.gradient(g_loss, self.generator.trainable_variables)


def ssgan_batches(x_lab, y_lab, x_unl, batch_size: int, first_epoch: int, last_epoch: int, seed: int = config.SEED):
    """``(x_lab, y_lab, x_unl, x_unl2)`` batches for epochs ``first_epoch .. last_epoch - 1``: an epoch is two
    shuffled passes over the unlabelled images (the discriminator's and the feature matching's), the labelled images
    tiled, each repetition reshuffled; epoch ``e`` depends only on ``(seed, e)``."""
    needed = len(x_unl) // batch_size * batch_size

    def epoch_indices(epoch):
        rng = np.random.default_rng([seed, epoch])
        unl, unl2 = rng.permutation(len(x_unl))[:needed], rng.permutation(len(x_unl))[:needed]
        lab = np.concatenate([rng.permutation(len(x_lab)) for _ in range(-(-needed // len(x_lab)))])[:needed]
        return np.stack([lab, unl, unl2], axis=1).astype(np.int32)

    # index triples for every step, gathered inside tf.data (no Python per step)
    order = np.concatenate([epoch_indices(e) for e in range(first_epoch, last_epoch)] or [np.zeros((0, 3), np.int32)])
    x_lab_t, y_lab_t, x_unl_t = tf.constant(x_lab), tf.constant(y_lab, tf.int64), tf.constant(x_unl)

    def gather(idx):
        lab, unl, unl2 = idx[:, 0], idx[:, 1], idx[:, 2]
        return tf.gather(x_lab_t, lab), tf.gather(y_lab_t, lab), tf.gather(x_unl_t, unl), tf.gather(x_unl_t, unl2)

    batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)
    return batches.map(gather, num_parallel_calls=1, deterministic=True).prefetch(2)


def learning_rate_at(epoch: int, learning_rate: float, decay_start: int | None, epochs: int) -> float:
    """Constant, then (from ``decay_start``) linearly down to a tenth at the last epoch."""
    if decay_start is None or epoch < decay_start or epochs <= decay_start:
        return learning_rate
    fraction = (epoch - decay_start + 1) / (epochs - decay_start)
    return learning_rate * (1.0 - 0.9 * fraction)


class EpochLog(keras.callbacks.Callback):
    """Sets each epoch's learning rate; after it, logs the mean losses, the validation accuracy (averaged and raw
    weights) and the wall time, copies the better weight set to ``model.best_discriminator`` whenever it beats every
    earlier epoch's (``history["best"]``), and stops after ``patience`` epochs without a better one."""

    def __init__(self, history, x_val, y_val, learning_rate, decay_start, epochs, patience):
        super().__init__()
        self.history, self.x_val, self.y_val = history, x_val, y_val
        self.learning_rate, self.decay_start, self.epochs, self.patience = learning_rate, decay_start, epochs, patience

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        lr = learning_rate_at(epoch, self.learning_rate, self.decay_start, self.epochs)
        self.model.d_optimizer.learning_rate.assign(lr)
        self.model.g_optimizer.learning_rate.assign(lr)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start  # training only; the evaluation below is not counted
        h, model = self.history, self.model
        for key in SSGAN.LOSSES:
            h[key].append(round(float(logs[key]), 6))
        for key, weights in (("val_accuracy", model.ema_discriminator), ("val_accuracy_raw", model.discriminator)):
            h[key].append(training.accuracy(weights, self.x_val, self.y_val, batch_size=2000))
        h["epoch_seconds"].append(seconds)
        value, weights = max((h["val_accuracy"][-1], "averaged"), (h["val_accuracy_raw"][-1], "raw"))
        if value > h["best"].get("val_accuracy", -1.0):
            source = model.ema_discriminator if weights == "averaged" else model.discriminator
            model.best_discriminator.set_weights(source.get_weights())
            h["best"] = {"epoch": epoch + 1, "weights": weights, "val_accuracy": value}
        if self.patience and epoch + 1 - h["best"]["epoch"] >= self.patience and epoch + 1 < self.epochs:
            h["stopped_at"] = epoch + 1
            model.stop_training = True
        stop = f"; none better than epoch {h['best']['epoch']} for {self.patience}: stop" if model.stop_training else ""
        print(
            f"epoch {epoch + 1}: validation accuracy {h['val_accuracy'][-1]:.4f} (averaged weights), "
            f"{h['val_accuracy_raw'][-1]:.4f} (raw), {seconds:.0f} s{stop}",
            flush=True,
        )
