"""Notebook 11's conditional DCGAN: the label's embedding beside the noise; a projection discriminator (Miyato 2018)."""

import functools
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digitgan import checks, config, models
from digitgan.checkpoint import PeriodicCheckpoint, gan_checkpoint
from digitgan.fileio import atomic_write_text, dumps, load_weights, read_json_object, save_weights
from digitgan.gan import AdversarialModel, epoch_batches
from digitgan.store import committed_sha256
from digitgan.utils import set_seed

EMBEDDING = 50  # the generator's label embedding
MODE_SEEKING_EPS = 1e-5  # keeps the mode-seeking term finite when two images are equal


def build_conditional_generator(noise_dim: int = config.NOISE_DIM) -> keras.Model:
    noise, label = keras.Input((noise_dim,), name="noise"), keras.Input((), dtype="int32", name="label")
    x = layers.Concatenate()([noise, layers.Embedding(config.NUM_CLASSES, EMBEDDING)(label)])
    image = functools.reduce(lambda h, layer: layer(h), models.generator_blocks(), x)
    return keras.Model([noise, label], image, name="conditional_generator")


def build_conditional_discriminator() -> keras.Model:
    image, label = keras.Input(config.IMAGE_SHAPE, name="image"), keras.Input((), dtype="int32", name="label")
    *convolutions, real = models.build_discriminator().layers  # the DCGAN's; its logit is the unconditional part
    features = functools.reduce(lambda h, layer: layer(h), convolutions, image)
    projection = layers.Dot(axes=1)([layers.Embedding(config.NUM_CLASSES, features.shape[-1])(label), features])
    logit = layers.Add(name="conditional_logit")([real(features), projection])
    return keras.Model([image, label], logit, name="conditional_discriminator")


class ConditionalDCGAN(AdversarialModel):
    """Trained by ``fit()`` on ``(images, labels)``; ``mode_seeking``: the weight of Mao et al. 2019's term (or 0)."""

    def __init__(self, generator, discriminator, seed=config.SEED, mode_seeking=0.0):
        super().__init__(generator, discriminator, config.NOISE_DIM, seed)
        self.mode_seeking = float(mode_seeking)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, data):
        images, labels = data
        labels = g_labels = tf.cast(labels, tf.int32)
        noise, penalty = self.step_noise(tf.shape(images)[0]), None
        if self.mode_seeking:  # the generated batch's last half repeats the first half's digits with other noise
            batch = tf.shape(images)[0]
            half = batch // 2
            g_labels = tf.concat([labels[: batch - half], labels[:half]], axis=0)
            noise_gap = tf.reduce_mean(tf.abs(noise[:half] - noise[batch - half :]))

            def penalty(fake):  # large where two images of one digit differ little for the distance of their noise
                image_gap = tf.reduce_mean(tf.abs(fake[:half] - fake[batch - half :]))
                return self.mode_seeking / (image_gap / noise_gap + MODE_SEEKING_EPS)

        g_loss, d_loss = self.adversarial_update([images, labels], [noise, g_labels], g_labels, penalty)
        return self.track_losses(g_loss=g_loss, d_loss=d_loss)


def build_conditional_dcgan(seed=config.SEED, mode_seeking=0.0) -> ConditionalDCGAN:
    model = ConditionalDCGAN(build_conditional_generator(), build_conditional_discriminator(), seed, mode_seeking)
    rate = config.GAN_LEARNING_RATE
    model.compile(keras.optimizers.Adam(rate), keras.optimizers.Adam(rate), jit_compile=config.GAN_XLA)
    return model


def _batched(network, *arrays) -> np.ndarray:
    """``network`` applied (not training) to ``arrays`` (its inputs) 1,000 rows at a time."""
    starts = range(0, len(arrays[0]), 1000)
    return np.concatenate([network([tf.constant(a[i : i + 1000]) for a in arrays], training=False) for i in starts])


def generate_labelled(generator: keras.Model, n: int, seed: int = 0, noise_scale: float = 1.0):
    """``(images, labels)``: ``n`` digits, labels balanced and shuffled by ``seed``, noise of std ``noise_scale``."""
    labels = np.random.default_rng(seed).permutation(np.arange(n) % config.NUM_CLASSES).astype("int32")
    noise = noise_scale * tf.random.stateless_normal([n, generator.inputs[0].shape[-1]], seed=[seed, 1])
    return _batched(generator, noise.numpy(), labels), labels


def discriminator_logits(discriminator, images, labels) -> np.ndarray:
    """The conditional discriminator's logit for each image and label."""
    return _batched(discriminator, images, labels).ravel()


def _state(checkpoint_dir, n_train, seed, mode_seeking):
    """A fresh conditional DCGAN and its training state, whose settings shape a run but its epochs."""
    out = {"n_train": n_train, "seed": seed, "batch_size": config.BATCH_SIZE, "learning_rate": config.GAN_LEARNING_RATE}
    model = build_conditional_dcgan(seed, mode_seeking)
    settings = {**out, "mode_seeking": float(mode_seeking)} if mode_seeking else out
    return model, gan_checkpoint(model, checkpoint_dir, 2, settings)


def trained_discriminator(checkpoint_dir, n_train, epochs, seed=config.SEED, mode_seeking=0.0) -> keras.Model | None:
    """The discriminator of a run finished at ``epochs``, from its training state; None if absent or elsewhere."""
    if not any(Path(checkpoint_dir).glob("ckpt-*.index")):
        return None
    model, ckpt = _state(checkpoint_dir, n_train, seed, mode_seeking)
    restored = ckpt.restore()
    return model.discriminator if restored and restored[0] == epochs else None


def train_conditional(
    x, y, epochs, checkpoint_dir, seed=config.SEED, checkpoint_every=config.GAN_CHECKPOINT_EVERY, mode_seeking=0.0
):
    """``(model, history)``: trained, resumed, or reused from ``<dir>_generator.weights.h5`` and ``_history.json``."""
    epochs = checks.integer("epochs", epochs, 1)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels: the conditional DCGAN needs one label per image")
    set_seed(seed)
    model, ckpt = _state(checkpoint_dir, len(x), seed, mode_seeking)
    folder = Path(checkpoint_dir)
    generator_path = folder.with_name(folder.name + "_generator.weights.h5")
    history_path = folder.with_name(folder.name + "_history.json")
    shown, settings = config.shown(generator_path), ckpt.settings
    fix = f"Delete {shown} and {config.shown(history_path)} to train it again."
    if generator_path.is_file() and history_path.is_file():
        exported = read_json_object(history_path, "the conditional DCGAN's exported history", fix)
        if exported.get("settings") == settings and len(exported.get("history", {}).get("epoch_seconds", [])) == epochs:
            load_weights(model.generator, generator_path, fix, committed_sha256(generator_path))
            print(f"Reusing the conditional DCGAN's generator trained for {epochs} epochs ({shown}).")
            return model, exported["history"]
    start, history = ckpt.resume(epochs, "the conditional DCGAN", {"g_loss": [], "d_loss": [], "epoch_seconds": []})
    if start < epochs:
        began = []

        def log(epoch, logs):  # the epoch's mean losses and wall time
            history["g_loss"].append(round(float(logs["g_loss"]), 6))
            history["d_loss"].append(round(float(logs["d_loss"]), 6))
            history["epoch_seconds"].append(time.perf_counter() - began.pop())

        timing = keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda *_: began.append(time.perf_counter()), on_epoch_end=log
        )
        callbacks = [timing, PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs)]
        fit = {"epochs": epochs, "initial_epoch": start, "steps_per_epoch": len(x) // config.BATCH_SIZE, "verbose": 0}
        model.fit(
            epoch_batches(x, config.BATCH_SIZE, start, epochs, seed, y=y), shuffle=False, callbacks=callbacks, **fit
        )
    save_weights(model.generator, generator_path)
    atomic_write_text(history_path, dumps({"settings": settings, "history": history}))
    return model, history
