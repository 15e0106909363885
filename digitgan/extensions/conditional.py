"""A conditional DCGAN: the study's DCGAN with the digit given to both networks (``11_generated_digits.ipynb``).

- Generator: the label's 50-dimensional embedding concatenated to the noise, then 02's generator layers.
- Discriminator: 02's convolutional layers, then a projection discriminator (Miyato and Koyama 2018, "cGANs with
  Projection Discriminator"): ``logit = w . h + embed(y) . h`` for the features ``h`` of the image, so the
  network judges "real, *and* this digit" with one output.
- Training: 02's recipe (Adam 1e-4 for each, batch 100, binary cross-entropy on logits); every generated batch
  carries the labels of the real batch beside it, so the digits are drawn as often as in the data.
"""

from __future__ import annotations

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
    noise = keras.Input((noise_dim,), name="noise")
    label = keras.Input((), dtype="int32", name="label")
    x = layers.Concatenate()([noise, layers.Embedding(config.NUM_CLASSES, EMBEDDING)(label)])
    for layer in models.generator_blocks():  # the DCGAN's generator, given the digit's embedding beside the noise
        x = layer(x)
    return keras.Model([noise, label], x, name="conditional_generator")


def build_conditional_discriminator() -> keras.Model:
    image = keras.Input(config.IMAGE_SHAPE, name="image")
    label = keras.Input((), dtype="int32", name="label")
    x = image
    for filters in (64, 128):
        x = layers.Conv2D(filters, 5, strides=2, padding="same")(x)
        x = layers.Dropout(0.3)(layers.LeakyReLU()(x))
    features = layers.Flatten(name="features")(x)
    unconditional = layers.Dense(1, name="real")(features)
    projection = layers.Dot(axes=1)([layers.Embedding(config.NUM_CLASSES, features.shape[-1])(label), features])
    logit = layers.Add(name="logit")([unconditional, projection])
    return keras.Model([image, label], logit, name="conditional_discriminator")


class ConditionalDCGAN(AdversarialModel):
    """Generator and discriminator, both given the digit, trained by ``fit()`` on ``(images, labels)`` batches;
    the update is the DCGAN's (:meth:`AdversarialModel.adversarial_update`) with the real batch's digits given
    to both networks."""

    def __init__(
        self, generator, discriminator, noise_dim=config.NOISE_DIM, seed=config.SEED, mode_seeking=0.0, **kwargs
    ):
        """``mode_seeking``: the weight of the mode-seeking term (Mao et al. 2019, "Mode Seeking Generative
        Adversarial Networks for Diverse Image Synthesis"); 0 trains the plain conditional DCGAN."""
        super().__init__(generator, discriminator, noise_dim, seed, **kwargs)
        self.mode_seeking = float(mode_seeking)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, data):
        images, labels = data
        labels = tf.cast(labels, tf.int32)
        noise = self.step_noise(tf.shape(images)[0])
        if not self.mode_seeking:
            g_loss, d_loss = self.adversarial_update([images, labels], [noise, labels], condition=labels)
            return self.track_losses(g_loss=g_loss, d_loss=d_loss)
        # Mode seeking: the last half of the generated batch repeats the first half's digits with other noise, and
        # the generator is penalised when two images of one digit differ little for the distance of their noise.
        batch = tf.shape(images)[0]
        half = batch // 2
        first = labels[: batch - half]
        g_labels = tf.concat([first, first[:half]], axis=0)
        noise_gap = tf.reduce_mean(tf.abs(noise[:half] - noise[batch - half :]))

        def penalty(fake):
            image_gap = tf.reduce_mean(tf.abs(fake[:half] - fake[batch - half :]))
            return self.mode_seeking / (image_gap / noise_gap + MODE_SEEKING_EPS)

        g_loss, d_loss = self.adversarial_update(
            [images, labels], [noise, g_labels], condition=g_labels, g_penalty=penalty
        )
        return self.track_losses(g_loss=g_loss, d_loss=d_loss)


def build_conditional_dcgan(seed=config.SEED, jit_compile=config.GAN_XLA, mode_seeking=0.0) -> ConditionalDCGAN:
    generator, discriminator = build_conditional_generator(), build_conditional_discriminator()
    model = ConditionalDCGAN(generator, discriminator, seed=seed, mode_seeking=mode_seeking)
    rate = config.GAN_LEARNING_RATE
    model.compile(
        g_optimizer=keras.optimizers.Adam(rate), d_optimizer=keras.optimizers.Adam(rate), jit_compile=jit_compile
    )
    return model


def generate_labelled(generator: keras.Model, n: int, seed: int = 0, batch_size: int = 1000, noise_scale: float = 1.0):
    """``(images, labels)``: ``n`` generated digits, the labels balanced (``n // 10`` of each, the rest from 0 up)
    and shuffled by ``seed``; the noise is drawn by ``seed`` too, its standard deviation ``noise_scale`` (below 1:
    the "truncation trick", digits nearer the typical ones; above 1: more varied ones)."""
    labels = np.random.default_rng(seed).permutation(np.arange(n) % config.NUM_CLASSES).astype("int32")
    noise = noise_scale * tf.random.stateless_normal([n, generator.inputs[0].shape[-1]], seed=[seed, 1])
    batches = [[noise[i : i + batch_size], tf.constant(labels[i : i + batch_size])] for i in range(0, n, batch_size)]
    return np.concatenate([generator(batch, training=False).numpy() for batch in batches]), labels


class EpochLosses(keras.callbacks.Callback):
    """The epoch's mean losses and wall time, appended to ``history``."""

    def __init__(self, history: dict):
        super().__init__()
        self.history = history

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key in ("g_loss", "d_loss"):
            self.history[key].append(round(float(logs[key]), 6))
        self.history["epoch_seconds"].append(time.perf_counter() - self._start)


def exported_paths(checkpoint_dir) -> tuple[Path, Path]:
    """A finished run's exported generator weights and history: beside its training state, named after it."""
    folder = Path(checkpoint_dir)
    return folder.with_name(folder.name + "_generator.weights.h5"), folder.with_name(folder.name + "_history.json")


def _settings(n_train: int, seed: int, mode_seeking: float) -> dict:
    """What shapes a conditional DCGAN run but its epochs (saved with its state; a resume with others is refused)."""
    out = {"n_train": n_train, "seed": seed, "batch_size": config.BATCH_SIZE, "learning_rate": config.GAN_LEARNING_RATE}
    return {**out, "mode_seeking": float(mode_seeking)} if mode_seeking else out


def trained_discriminator(checkpoint_dir, n_train, epochs, seed=config.SEED, mode_seeking=0.0) -> keras.Model | None:
    """The discriminator of a run finished at ``epochs``, restored from its training state (``checkpoint_dir``,
    git-ignored); None where that state is absent or at another epoch (only the generator is exported)."""
    if not any(Path(checkpoint_dir).glob("ckpt-*.index")):
        return None
    model = build_conditional_dcgan(seed, mode_seeking=mode_seeking)
    settings = _settings(n_train, seed, mode_seeking)
    restored = gan_checkpoint(model, checkpoint_dir, max_to_keep=2, settings=settings).restore()
    return model.discriminator if restored and restored[0] == epochs else None


def discriminator_logits(discriminator, images, labels, batch_size=1000) -> np.ndarray:
    """The conditional discriminator's logit (higher: "a real image of this digit") for each image and label."""
    batches = [
        [tf.constant(a[i : i + batch_size]) for a in (images, labels)] for i in range(0, len(images), batch_size)
    ]
    return np.concatenate([discriminator(batch, training=False).numpy().ravel() for batch in batches])


def train_conditional(
    x, y, epochs, checkpoint_dir, seed=config.SEED, checkpoint_every=config.GAN_CHECKPOINT_EVERY, mode_seeking=0.0
):
    """``(model, history)``: the conditional DCGAN trained, resumed from its state (``checkpoint_dir``, checkpointed
    every ``checkpoint_every`` epochs; other settings refused) or, exported with these settings and epochs, reused
    without the state (its discriminator then untrained)."""
    epochs = checks.integer("epochs", epochs, 1)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels: the conditional DCGAN needs one label per image")
    set_seed(seed)
    model = build_conditional_dcgan(seed, mode_seeking=mode_seeking)
    settings = _settings(len(x), seed, mode_seeking)
    generator_path, history_path = exported_paths(checkpoint_dir)
    shown = config.shown(generator_path)
    fix = f"Delete {shown} and {config.shown(history_path)} to train it again."
    if generator_path.is_file() and history_path.is_file():
        exported = read_json_object(history_path, "the conditional DCGAN's exported history", fix)
        if exported.get("settings") == settings and len(exported.get("history", {}).get("epoch_seconds", [])) == epochs:
            load_weights(model.generator, generator_path, fix, committed_sha256(generator_path))
            print(f"Reusing the conditional DCGAN's generator trained for {epochs} epochs ({shown}).")
            return model, exported["history"]
    ckpt = gan_checkpoint(model, checkpoint_dir, max_to_keep=2, settings=settings)
    start, history = ckpt.resume(epochs, "the conditional DCGAN", {"g_loss": [], "d_loss": [], "epoch_seconds": []})
    if start < epochs:
        batches = epoch_batches(x, config.BATCH_SIZE, start, epochs, seed, y=y)
        fit = dict(epochs=epochs, initial_epoch=start, steps_per_epoch=len(x) // config.BATCH_SIZE, shuffle=False)
        callbacks = [EpochLosses(history), PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs)]
        model.fit(batches, verbose=0, callbacks=callbacks, **fit)
    save_weights(model.generator, generator_path)
    atomic_write_text(history_path, dumps({"settings": settings, "history": history}))
    return model, history
