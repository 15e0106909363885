"""The DCGAN: a ``keras.Model`` with its own ``train_step``, resumable checkpoints and callbacks.

Follows the TensorFlow DCGAN tutorial (binary cross-entropy on logits, Adam(1e-4) for each
network, one update of both per batch). Resuming is exact: the noise of step ``s`` is
``stateless_normal(seed=[seed, s])``, the shuffle of epoch ``e`` is seeded by ``(seed, e)``,
and the generator, discriminator, both optimizers (including their step counters), the epoch
counter and the per-batch loss history are checkpointed together.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, config
from digitgan.checkpoint import PeriodicCheckpoint, TrainingCheckpoint, rng_state
from digitgan.models import build_discriminator, build_generator
from digitgan.store import array_digest
from digitgan.utils import (
    DataFileError,
    atomic_write_text,
    dumps,
    load_weights,
    read_json_object,
    remove_stale_temp_files,
    save_weights,
    temp_path,
)

_bce = keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_logits, fake_logits):
    """Real images should score 1, generated ones 0."""
    return _bce(tf.ones_like(real_logits), real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


def generator_loss(fake_logits):
    """The generator wins when its images score 1."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


def fixed_noise(n: int = 9, noise_dim: int = config.NOISE_DIM, seed: int = config.SEED) -> tf.Tensor:
    """The one noise batch whose samples are drawn every epoch (the report's 3x3 grid)."""
    from digitgan.quality import noise

    return noise(n, -1, "normal", seed=seed, noise_dim=noise_dim)


class AdversarialModel(keras.Model):
    """A ``keras.Model`` holding ``generator`` and ``discriminator``, each with its own optimizer; the epoch's
    means of the losses named in ``LOSSES`` are its metrics. The adversarial update of the DCGAN and the
    conditional DCGAN (:meth:`adversarial_update`) is here once."""

    LOSSES = ("g_loss", "d_loss")

    def __init__(self, generator, discriminator, noise_dim=config.NOISE_DIM, seed=config.SEED, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = noise_dim
        self.seed = seed
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.LOSSES}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def step_noise(self, batch):
        """The generator's noise for this step: drawn from the seed and the step number, so a resumed run draws
        what an uninterrupted one would."""
        step = tf.cast(self.g_optimizer.iterations, tf.int32)
        return tf.random.stateless_normal([batch, self.noise_dim], seed=tf.stack([self.seed, step]))

    def adversarial_update(self, real_inputs, generator_inputs, condition=None, g_penalty=None):
        """One step of both networks on the standard GAN losses; ``(g_loss, d_loss)``. ``condition`` (the
        digits of a conditional GAN) goes to the discriminator beside the generated images; ``g_penalty(fake)``,
        if given, is added to the generator's loss (the returned ``g_loss`` is the adversarial part)."""
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(generator_inputs, training=True)
            real_logits = self.discriminator(real_inputs, training=True)
            fake_logits = self.discriminator(fake if condition is None else [fake, condition], training=True)
            g_loss = generator_loss(fake_logits)
            d_loss = discriminator_loss(real_logits, fake_logits)
            g_total = g_loss if g_penalty is None else g_loss + g_penalty(fake)
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_total, g_vars), g_vars, strict=True))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        return g_loss, d_loss

    def track_losses(self, **losses) -> dict:
        """Adds this step's losses (one per name in ``LOSSES``) to the epoch's means; the means."""
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        # Keras 3 creates optimizer state lazily: build it now so a checkpoint can restore into it.
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)


class DCGAN(AdversarialModel):
    """Generator and discriminator trained adversarially by ``fit()``."""

    def __init__(self, generator, discriminator, noise_dim=config.NOISE_DIM, seed=config.SEED, **kwargs):
        super().__init__(generator, discriminator, noise_dim, seed, **kwargs)
        # Every batch's (g_loss, d_loss) of the current epoch, kept on the device and read once per epoch by
        # LossHistory (reading them after every batch would stop the device each step); sized by log_losses().
        self.loss_log = None
        self.batch_in_epoch = tf.Variable(0, trainable=False, dtype=tf.int32)

    def log_losses(self, steps_per_epoch: int) -> None:
        """Keep every batch's losses on the device, for epochs of ``steps_per_epoch`` batches (before ``fit``)."""
        self.loss_log = tf.Variable(tf.zeros([steps_per_epoch, 2]), trainable=False)

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, real_images):
        noise = self.step_noise(tf.shape(real_images)[0])
        g_loss, d_loss = self.adversarial_update(real_images, noise)
        if self.loss_log is not None:
            self.loss_log.scatter_nd_update([[self.batch_in_epoch]], [tf.stack([g_loss, d_loss])])
            self.batch_in_epoch.assign_add(1)
        return self.track_losses(g_loss=g_loss, d_loss=d_loss)


def build_dcgan(
    noise_dim=config.NOISE_DIM,
    learning_rate=config.GAN_LEARNING_RATE,
    seed=config.SEED,
    jit_compile=True,
    precision: str = config.GAN_PRECISION,
    steps_per_execution: int = 1,
) -> DCGAN:
    """A compiled DCGAN with fresh networks of the study (the original's architecture) and Adam(learning_rate) for each.

    ``precision`` is the Keras dtype policy the networks compute in (``"float32"`` or
    ``"mixed_bfloat16"``); weights, losses and the generator's images stay float32 either way.
    ``steps_per_execution`` steps run in one call from Python (``fit`` then reports once per call).
    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        generator, discriminator = build_generator(noise_dim), build_discriminator()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    gan = DCGAN(generator, discriminator, noise_dim=noise_dim, seed=seed, name="dcgan")
    gan.compile(
        g_optimizer=keras.optimizers.Adam(learning_rate),
        d_optimizer=keras.optimizers.Adam(learning_rate),
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return gan


def measure_step(jit_compile: bool, precision: str = config.GAN_PRECISION, steps: int = 20, batch: int = 100) -> float:
    """Steps per second of the DCGAN's training step as ``train_gan`` runs it (``tools.speed.fit_rate``)."""
    from digitgan.tools.speed import fit_rate
    from digitgan.utils import set_seed

    set_seed(config.SEED, deterministic=not jit_compile)
    model = build_dcgan(jit_compile=jit_compile, precision=precision, steps_per_execution=steps)
    model.log_losses(steps)
    images = tf.random.stateless_uniform([batch, *config.IMAGE_SHAPE], seed=[0, 0], minval=-1.0, maxval=1.0)
    data = tf.data.Dataset.from_tensors(images).repeat()
    return fit_rate(model, data, steps, callbacks=[EpochStart()])


class EpochStart(keras.callbacks.Callback):
    """Points the DCGAN's on-device loss log at its first row when an epoch begins (what ``LossHistory`` does for
    ``train_gan``); timing runs need it without the rest of ``LossHistory``."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.batch_in_epoch.assign(0)


def resolve_jit(jit_compile, precision: str = config.GAN_PRECISION) -> bool:
    """``"auto"``: XLA on or off as measured on this machine (:func:`digitgan.tools.speed.choose_jit`)."""
    if jit_compile != "auto":
        return bool(jit_compile)
    from digitgan.tools.speed import choose_jit

    return choose_jit(f"DCGAN step ({precision})", lambda jit: measure_step(jit, precision))


def resolve_precision(precision: str) -> tuple[str, str]:
    """``(policy, why)``. ``"auto"`` gives ``"mixed_bfloat16"`` only where the CPU multiplies bf16 natively (AMX
    or AVX512_BF16), the committed 3-seed quality study (``benchmarks/dcgan_precision.py``) found bf16 no worse
    than float32, and the bf16 step measures faster here (once, cached); ``"float32"`` otherwise. Other values
    are returned as they are."""
    if precision != "auto":
        return precision, "as asked"
    from digitgan.tools import speed

    if not speed.has_bf16_hardware(speed.cpu_info()):
        return "float32", "this CPU has no bf16 hardware (AMX or AVX512_BF16)"
    path = Path(config.PRECISION_STUDY_PATH)
    fix = "Rerun benchmarks/dcgan_precision.py."
    study = read_json_object(path, "the DCGAN precision study", fix) if path.is_file() else {}
    verdict = study.get("summary", {}).get("bf16_no_worse")
    if not verdict:
        why = "no verdict yet" if verdict is None else "bf16 scored worse than float32 over 3 seeds"
        return "float32", f"{why} ({config.shown(path)})"
    jit = False  # XLA was slower for both precisions wherever measured; choose_jit decides it afterwards
    choice = speed.choose_fastest(
        "DCGAN precision", {p: (lambda p=p: measure_step(jit, p)) for p in ("float32", "mixed_bfloat16")}
    )
    if choice == "float32":
        return choice, "float32 measured faster here"
    return choice, "bf16 hardware, no worse over 3 seeds, and the faster step here"


def epoch_batches(
    x: np.ndarray,
    batch_size: int,
    first_epoch: int,
    last_epoch: int,
    seed: int = config.SEED,
    y: np.ndarray | None = None,
):
    """Batches for epochs ``first_epoch .. last_epoch - 1``, each epoch shuffled by ``(seed, epoch)``; with
    labels ``y``, ``(images, labels)`` batches (the conditional DCGAN's).

    The order of epoch ``e`` does not depend on where training started, so a resumed run
    sees exactly the batches an uninterrupted run would have seen.
    """
    images = tf.constant(x)
    labels = None if y is None else tf.constant(y, tf.int32)
    n = len(x)

    def one_epoch(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    return (
        tf.data.Dataset.range(first_epoch, last_epoch)
        .flat_map(one_epoch)
        .map(lambda idx: tf.gather(images, idx) if labels is None else (tf.gather(images, idx), tf.gather(labels, idx)))
        .prefetch(tf.data.AUTOTUNE)
    )


class LossHistory(keras.callbacks.Callback):
    """Appends every batch's losses to ``history`` (lists ``g_loss`` and ``d_loss``), read from the device once
    per epoch (``DCGAN.log_losses``), and the epoch's wall time."""

    def __init__(self, history: dict):
        super().__init__()
        self.history = history

    def on_epoch_begin(self, epoch, logs=None):
        self.model.batch_in_epoch.assign(0)
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        losses = self.model.loss_log.numpy()[: int(self.model.batch_in_epoch.numpy())]
        self.history["epoch_seconds"].append(time.perf_counter() - self._start)
        self.history["g_loss"].extend(float(v) for v in losses[:, 0])
        self.history["d_loss"].extend(float(v) for v in losses[:, 1])


FRAME_NAME = re.compile(r"epoch_(\d+)\.png")


def frame_path(frames_dir: Path, epoch: int) -> Path:
    return Path(frames_dir) / f"epoch_{epoch:03d}.png"


def draw_frame(generator, noise: tf.Tensor, frames_dir: Path, epoch: int) -> Path:
    """The 3x3 grid of ``noise`` after ``epoch`` epochs, written atomically (a temporary file of this process, then
    ``os.replace``): a kill leaves the old frame or none, never half a PNG that the GIF and the evolution figure
    would fail on. The temporary file of a killed write is removed by the next run (:func:`repair_frames`)."""
    from digitgan.plots import save_sample_frame

    images = generator(noise, training=False).numpy()
    path = frame_path(frames_dir, epoch)
    tmp = temp_path(path)  # ends in .png, as matplotlib needs; never matches epoch_*.png
    try:
        save_sample_frame(images, tmp, title=f"epoch {epoch}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


class SampleGrid(keras.callbacks.Callback):
    """Saves the 3x3 grid of the fixed noise batch after every epoch (``dcgan_epochs/epoch_NNN.png``), atomically."""

    def __init__(self, frames_dir: Path, noise: tf.Tensor):
        super().__init__()
        self.frames_dir = Path(frames_dir)
        self.noise = noise

    def on_epoch_end(self, epoch, logs=None):
        draw_frame(self.model.generator, self.noise, self.frames_dir, epoch + 1)


def readable_image(path: Path) -> bool:
    """Whether PIL can decode all of ``path`` (what the GIF and the evolution figure do with a frame)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
    except Exception:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError... for a damaged file
        return False
    return True


def repair_frames(frames_dir: Path, epoch: int, generator, noise: tf.Tensor, gif_path: Path | None = None) -> dict:
    """Before a run continues from (or reloads) the state of ``epoch``: remove the temporary files of killed frame
    writes, redraw the frame of ``epoch`` itself if it is missing or cannot be read (``generator`` holds that
    epoch's weights, so it is the frame an uninterrupted run drew) and drop earlier frames that cannot be read
    (their networks are gone: the GIF and the evolution figure skip those epochs). If any frame changed, the GIF
    made from the old ones is deleted. Returns ``{"redrawn": [...], "dropped": [...]}`` (epochs)."""
    frames_dir = Path(frames_dir)
    remove_stale_temp_files(frames_dir)
    redrawn, dropped = [], []
    frames = {int(m.group(1)): p for p in frames_dir.glob("epoch_*.png") if (m := FRAME_NAME.fullmatch(p.name))}
    for e, path in sorted(frames.items()):
        if e < epoch and not readable_image(path):
            path.unlink()
            dropped.append(e)
    if epoch > 0 and (epoch not in frames or not readable_image(frames[epoch])):
        draw_frame(generator, noise, frames_dir, epoch)
        redrawn.append(epoch)
    if redrawn:
        print(
            f"Redrew the sample frame of epoch {epoch} in {config.shown(frames_dir)} (a kill left it missing or cut)."
        )
    if dropped:
        print(
            f"Dropped the unreadable sample frames of epochs {dropped} in {config.shown(frames_dir)} (a write was "
            "cut short); the GIF and the evolution figure skip them. Train from scratch (retrain=True) to redraw them."
        )
    if (redrawn or dropped) and gif_path is not None:
        Path(gif_path).unlink(missing_ok=True)
    return {"redrawn": redrawn, "dropped": dropped}


class QualityTracker(keras.callbacks.Callback):
    """Every ``every`` epochs, scores ``n`` generated digits with the judge classifier."""

    def __init__(self, history: dict, judge, every: int = 10, n: int = 2000, final_epoch: int | None = None):
        super().__init__()
        self.history, self.judge, self.every, self.n, self.final_epoch = history, judge, every, n, final_epoch

    def on_epoch_end(self, epoch, logs=None):
        from digitgan.quality import generate, judge_scores

        if (epoch + 1) % self.every and epoch + 1 != self.final_epoch:
            return
        scores = judge_scores(self.judge, generate(self.model.generator, self.n, seed=epoch + 1))
        self.history["scores"][str(epoch + 1)] = {"classifier_score": scores["classifier_score"]}
        print(f"epoch {epoch + 1}: classifier score {scores['classifier_score']:.3f} on {self.n} samples")


# Settings a DCGAN training state holds since they were added; an older state lacks them and is resumed on trust,
# recording them from the resuming run (TrainingCheckpoint's ``recorded_later``).
RECORDED_LATER = ("images", "jit_compile")


def run_settings(
    x_train: np.ndarray, batch_size: int, seed: int, precision: str | None, jit_compile: bool | None
) -> dict:
    """Everything but the epoch count that shapes a DCGAN run: what its training state and its exported pair record
    and a resume or a reuse is checked against. ``images`` is the digest of the training images (shape, dtype and
    bytes: :func:`digitgan.store.array_digest`). ``None`` (a precision or XLA still ``"auto"``) means not known
    yet: a reuse does not compare it."""
    return {
        "batch_size": batch_size,
        "seed": seed,
        "precision": precision,
        "learning_rate": config.GAN_LEARNING_RATE,
        "n_train": len(x_train),
        "images": array_digest(x_train),
        "jit_compile": None if jit_compile is None else bool(jit_compile),
    }


def gan_checkpoint(gan: DCGAN, directory: Path, max_to_keep: int = 3, settings: dict | None = None):
    """The DCGAN's complete training state in ``directory`` (``tf.train.Checkpoint`` + loss history)."""
    return TrainingCheckpoint(
        directory,
        max_to_keep,
        settings,
        recorded_later=RECORDED_LATER,
        generator=gan.generator,
        discriminator=gan.discriminator,
        g_optimizer=gan.g_optimizer,
        d_optimizer=gan.d_optimizer,
        # Dropout's seed-generator state is not tracked through the Keras model: without it a
        # resumed run would draw different dropout masks from an uninterrupted one.
        rng_state=rng_state(gan.generator, gan.discriminator),
    )


def saved_history(checkpoint_dir: Path) -> dict:
    """The loss history saved with the latest checkpoint in ``checkpoint_dir`` (without restoring any weights)."""
    checkpoint_dir = Path(checkpoint_dir)
    saved = sorted(checkpoint_dir.glob("history-*.json"))
    if not saved:
        raise DataFileError(f"{checkpoint_dir} holds no training history: train the DCGAN there first.")
    return read_json_object(saved[-1], "the DCGAN's training history", f"Delete {checkpoint_dir} to train again.")


def empty_history() -> dict:
    return {"g_loss": [], "d_loss": [], "epoch_seconds": [], "scores": {}}


def clear_frames(frames_dir: Path | None, after_epoch: int = 0, gif_path: Path | None = None) -> None:
    """Delete the sample frames of epochs after ``after_epoch`` (all of them for 0) and the GIF made from them,
    so that no figure mixes two runs."""
    if frames_dir is not None:
        for frame in Path(frames_dir).glob("epoch_*.png"):
            match = FRAME_NAME.fullmatch(frame.name)
            if match and int(match.group(1)) > after_epoch:
                frame.unlink()
    if gif_path is not None:
        Path(gif_path).unlink(missing_ok=True)


def train_gan(
    x_train: np.ndarray,
    epochs: int = config.GAN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    checkpoint_dir: Path = config.GAN_CHECKPOINT_DIR,
    checkpoint_every: int = config.GAN_CHECKPOINT_EVERY,
    frames_dir: Path | None = None,
    judge=None,
    score_every: int = config.GAN_SCORE_EVERY,
    score_samples: int = config.GAN_SCORE_SAMPLES,
    retrain: bool = False,
    seed: int = config.SEED,
    jit_compile: bool | str = "auto",
    verbose: int = 2,
    precision: str = config.GAN_PRECISION,
    gif_path: Path | None = None,
    log_dir: Path | None = None,
) -> tuple[DCGAN, dict]:
    """Train (or resume, or reload) the DCGAN up to ``epochs``; returns ``(gan, history)``.

    A finished run is reloaded, not retrained, unless ``retrain=True`` (which deletes
    ``checkpoint_dir`` first). An interrupted run continues from its latest checkpoint. A run that
    starts from epoch 0 first deletes the frames in ``frames_dir`` and ``gif_path`` (a resumed one, the
    frames after its checkpoint), so no figure mixes two runs. Frames are written atomically; on a resume or reload
    the frame of the restored epoch is redrawn if a kill left it missing or unreadable, and earlier unreadable
    frames are dropped (:func:`repair_frames`). ``checkpoint_dir`` remembers the settings (:func:`run_settings`:
    batch size, seed, precision, XLA, the training images' digest); resuming it with others is refused before
    anything is written (a state saved before XLA and the digest were recorded is resumed and records them).

    Each epoch runs as one call from Python, with every batch's losses kept on the device and read at
    the epoch's end; ``jit_compile="auto"`` compiles it with XLA if that measured faster on this machine.
    With ``log_dir``, every batch's losses, the scores and the fixed-noise grid go to TensorBoard there.
    """
    from digitgan.utils import set_seed

    checks.images("x_train", x_train)  # float, finite, in [-1, 1], not empty
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.batch_size(batch_size, len(x_train))
    checkpoint_every = checks.integer("checkpoint_every", checkpoint_every, 1)
    checks.seed(seed)
    if judge is not None:
        checks.integer("score_every", score_every, 1)
        checks.integer("score_samples", score_samples, 1)
    checks.choice("precision", precision, ("float32", "mixed_bfloat16", "auto"))
    checkpoint_dir = Path(checkpoint_dir)
    if precision == "auto":
        precision, why = resolve_precision(precision)
        print(f"precision auto: {precision} ({why})")
    steps = len(x_train) // batch_size
    jit_compile = resolve_jit(jit_compile, precision)
    # Re-seed so that a rerun of this cell (or a resume) builds the same initial networks.
    set_seed(seed, deterministic=not jit_compile)
    if retrain and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    gan = build_dcgan(seed=seed, jit_compile=jit_compile, precision=precision, steps_per_execution=steps)
    gan.log_losses(steps)
    settings = run_settings(x_train, batch_size, seed, precision, jit_compile)
    gan.run_settings = settings  # what export_final records in the exported pair's manifest
    ckpt = gan_checkpoint(gan, checkpoint_dir, settings=settings)
    start, history = ckpt.resume(epochs, "the DCGAN", empty_history())
    noise = fixed_noise(seed=seed)  # stateless: drawing it here changes nothing that training computes
    if frames_dir is not None:
        repair_frames(frames_dir, start, gan.generator, noise, gif_path)
    if start >= epochs:
        return gan, history
    clear_frames(frames_dir, after_epoch=start, gif_path=gif_path)
    callbacks = [LossHistory(history), PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs)]
    if frames_dir is not None:
        callbacks.append(SampleGrid(frames_dir, noise))
    if judge is not None:
        callbacks.insert(1, QualityTracker(history, judge, score_every, score_samples, final_epoch=epochs))
    if log_dir is not None:
        from digitgan.training import GanLog

        callbacks.insert(2, GanLog(log_dir, history, noise, batch_keys=("g_loss", "d_loss")))
    gan.fit(
        epoch_batches(x_train, batch_size, start, epochs, seed),
        epochs=epochs,
        initial_epoch=start,
        steps_per_epoch=steps,
        shuffle=False,  # epoch_batches already shuffles, per epoch and resumably
        callbacks=callbacks,
        verbose=verbose,
    )
    return gan, history


EXPORT_ROLES = ("generator", "discriminator", "history")
EXPORT_FORMAT = 1

# The study's committed pair (checkpoints/generator.weights.h5, discriminator.weights.h5, dcgan_history.json) was
# exported before manifests existed. Recognised by the SHA-256 of its three files, it stands for its own manifest:
# 50 epochs of the study's recipe on the seed-42 10k subset (XLA not recorded, so not compared). Nothing is written
# beside it; any other pair without a manifest is re-exported from its finished training state or refused.
STUDY_EXPORT = {
    "format": EXPORT_FORMAT,
    "files": {
        "generator": {
            "name": config.GENERATOR_FILE,
            "sha256": "d4d83c6c0c58fab5cb3bc38b93b80c7bca66924172768a163758dbab87453772",
        },
        "discriminator": {
            "name": config.DISCRIMINATOR_FILE,
            "sha256": "c8b7de86b6aefdbcf6f68982fb5bec1e82e35e48289f28ee874c4ceb182ec434",
        },
        "history": {
            "name": config.GAN_HISTORY_FILE,
            "sha256": "0a39d9f45e900be76b23c3a47fb285c5e395495e0a2cc26bf24e6dbefd00ee74",
        },
    },
    "epochs": 50,
    "settings": {
        "batch_size": 100,
        "seed": 42,
        "precision": "float32",
        "learning_rate": 1e-4,
        "n_train": 10_000,
        "images": "e77f1c47f76c3963",  # array_digest(data.load_study_data(10_000, 42)["x_train"])
    },
}


def export_manifest_path(generator_path) -> Path:
    """Where the manifest of the pair exported with ``generator_path`` lives: beside it, ``<name>.export.json``
    (``generator.weights.h5`` -> ``generator.export.json``)."""
    generator_path = Path(generator_path)
    return generator_path.with_name(generator_path.name.removesuffix(".weights.h5") + ".export.json")


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def export_final(
    gan: DCGAN,
    history: dict,
    generator_path=config.GENERATOR_PATH,
    discriminator_path=config.DISCRIMINATOR_PATH,
    history_path=config.GAN_HISTORY_PATH,
    manifest_path=None,
    settings: dict | None = None,
):
    """Write the final generator and discriminator weights (what the trials load) and the loss history as one unit.

    The old manifest goes first, then the three files are written (each atomically), then the manifest
    (:func:`export_manifest_path` unless given): the files' names and SHA-256, the epoch count and the run's
    settings (``settings``, default: those ``train_gan`` gave the model), written last and atomically. A kill
    at any point leaves a pair that no manifest vouches for, which :func:`train_or_reuse_gan` never reuses."""
    paths = [Path(generator_path), Path(discriminator_path), Path(history_path)]
    manifest_path = Path(manifest_path or export_manifest_path(paths[0]))
    settings = dict(settings if settings is not None else getattr(gan, "run_settings", None) or {})
    manifest_path.unlink(missing_ok=True)  # until the new one is written, nothing vouches for a half-written pair
    save_weights(gan.generator, paths[0])
    save_weights(gan.discriminator, paths[1])
    atomic_write_text(paths[2], dumps(history))
    record = {
        "format": EXPORT_FORMAT,
        "files": {role: {"name": p.name, "sha256": sha256(p)} for role, p in zip(EXPORT_ROLES, paths, strict=True)},
        "epochs": len(history["epoch_seconds"]),
        "settings": settings,
    }
    atomic_write_text(manifest_path, dumps(record, indent=1, sort_keys=True) + "\n")
    return paths[0], paths[1]


def _read_manifest(path: Path) -> tuple[dict | None, str | None]:
    """``(record, None)``, or ``(None, why)`` for a manifest that cannot be read or lacks a field."""
    try:
        record = json.loads(path.read_text())
        if not (
            isinstance(record, dict)
            and isinstance(record.get("files"), dict)
            and all(isinstance(record["files"].get(r), dict) for r in EXPORT_ROLES)
            and isinstance(record.get("epochs"), int)
            and isinstance(record.get("settings"), dict)
        ):
            raise ValueError("it lacks files, epochs or settings")
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, f"{path} (the manifest of the exported DCGAN pair) cannot be read ({exc}): it was edited."
    return record, None


def verify_export(paths, manifest_path) -> tuple[dict | None, str | None]:
    """Whether the exported ``(generator, discriminator, history)`` files are one pair: ``(record, None)`` when
    their manifest (or, without one, :data:`STUDY_EXPORT` for the study's committed files) names them with these
    SHA-256s; ``(None, why)`` when nothing vouches for them (no manifest: an export cut short or one of an older
    digitgan; another file's digest: a kill between two files, or a replaced file)."""
    paths, manifest_path = [Path(p) for p in paths], Path(manifest_path)
    digests = {role: sha256(p) for role, p in zip(EXPORT_ROLES, paths, strict=True)}
    if manifest_path.is_file():
        record, why = _read_manifest(manifest_path)
        if record is None:
            return None, why
    elif all(digests[r] == STUDY_EXPORT["files"][r]["sha256"] for r in EXPORT_ROLES):
        return STUDY_EXPORT, None
    else:
        names = ", ".join(p.name for p in paths)
        return None, (
            f"{manifest_path} is missing: {names} were exported by an older digitgan, or their export was cut short "
            "by a kill, so they may come from different runs."
        )
    for role, p in zip(EXPORT_ROLES, paths, strict=True):
        entry = record["files"][role]
        if entry.get("name") != p.name:
            return None, f"{manifest_path} names {entry.get('name')!r} as the {role}, not {p.name}: another pair's."
        if entry.get("sha256") != digests[role]:
            return None, (
                f"{p} does not match {manifest_path} (SHA-256 {digests[role][:12]}…, the manifest says "
                f"{str(entry.get('sha256'))[:12]}…): its export was cut short by a kill or the file was replaced, so "
                "the pair may mix two runs."
            )
    return record, None


def _finished_state(state: Path, epochs: int) -> bool:
    """Whether the training state ``state`` holds a run saved at exactly ``epochs`` (to export again from)."""
    try:
        latest = tf.train.latest_checkpoint(str(state))
    except Exception:  # noqa: BLE001 - a damaged state: not one to export from (train_gan names the fault)
        return False
    return latest is not None and Path(latest).name == f"ckpt-{epochs}"


def load_history(path: Path) -> dict:
    """The loss history exported beside the final weights; a damaged file raises :class:`DataFileError`."""
    fix = _fix(Path(path))
    history = read_json_object(path, "the DCGAN's exported loss history", fix)
    missing = sorted(set(empty_history()) - set(history))
    if missing:
        raise DataFileError(f"{path} (the DCGAN's exported loss history) lacks {missing}. {fix}")
    if not history["epoch_seconds"]:
        raise DataFileError(f"{path} holds a history of 0 epochs. {fix}")
    return history


def output_paths(checkpoint_dir: Path, figures_dir: Path) -> dict:
    """Where a DCGAN run in these folders keeps everything: ``train_or_reuse_gan(x, **output_paths(...))``."""
    checkpoint_dir, figures_dir = Path(checkpoint_dir), Path(figures_dir)
    return {
        "generator_path": checkpoint_dir / config.GENERATOR_FILE,
        "discriminator_path": checkpoint_dir / config.DISCRIMINATOR_FILE,
        "history_path": checkpoint_dir / config.GAN_HISTORY_FILE,
        "checkpoint_dir": checkpoint_dir / config.GAN_STATE_NAME,
        "frames_dir": figures_dir / config.GAN_FRAMES_NAME,
        "gif_path": figures_dir / config.GAN_GIF_FILE,
    }


def train_or_reuse_gan(
    x_train: np.ndarray,
    epochs: int = config.GAN_EPOCHS,
    retrain: bool = False,
    generator_path=config.GENERATOR_PATH,
    discriminator_path=config.DISCRIMINATOR_PATH,
    history_path=config.GAN_HISTORY_PATH,
    manifest_path=None,
    **train_kwargs,
) -> tuple[DCGAN, dict, bool]:
    """Reuse the exported final DCGAN if it was trained for ``epochs``; else train (resuming) and export.

    Returns ``(gan, history, reused)``. ``retrain=True`` always trains from scratch. Exported weights of a
    run with another epoch count are never overwritten without ``retrain=True``: export elsewhere (the
    notebooks do so in a run folder of their own).

    The pair is reused only when its manifest (:func:`export_final`; the study's committed pair without one is
    recognised by its digests, :data:`STUDY_EXPORT`) names these files with their SHA-256, and records the
    epochs and the settings asked for (:func:`run_settings`: images, batch size, seed; precision and XLA unless
    ``"auto"``); other settings are an error. A pair no manifest vouches for (a kill between the files, an older
    export) is exported again from the training state if that holds this run finished at ``epochs``; otherwise it
    is an error that names the file and the fix. Every check comes before anything is written.
    """
    epochs = checks.integer("epochs", epochs, 1)
    checks.batch_size(train_kwargs.get("batch_size", config.BATCH_SIZE), len(x_train))
    paths = [Path(generator_path), Path(discriminator_path), Path(history_path)]
    manifest_path = Path(manifest_path or export_manifest_path(paths[0]))
    if not retrain and all(p.is_file() for p in paths):
        history = load_history(paths[2])
        trained = len(history["epoch_seconds"])
        if trained != epochs:
            raise ValueError(
                f"{paths[0].parent} holds a DCGAN trained for {trained} epochs, not the {epochs} asked for. "
                "Export to other paths (a run folder), or pass retrain=True to replace it."
            )
        gan = build_dcgan(jit_compile=False)  # only for its weights: nothing to compile
        load_weights(gan.generator, paths[0], _fix(paths[0]))
        load_weights(gan.discriminator, paths[1], _fix(paths[1]))
        record, problem = verify_export(paths, manifest_path)
        if record is not None:
            _check_export_settings(record, manifest_path, epochs, _asked_settings(x_train, train_kwargs))
            print(
                f"Reusing the DCGAN trained for {epochs} epochs in {config.shown(paths[0].parent)} "
                "(set RETRAIN = True in the parameters, or RETRAIN_GAN=1 for make reproduce, to train it again)."
            )
            return gan, history, True
        state = Path(train_kwargs.get("checkpoint_dir", config.GAN_CHECKPOINT_DIR))
        if not _finished_state(state, epochs):
            committed = " ".join(config.shown(p) for p in paths)
            restore = (
                f" The committed pair is restored with `git checkout -- {committed}`."
                if all(config.is_committed(p) for p in paths)
                else ""
            )
            raise DataFileError(
                f"{problem} {state} holds no training state finished at epoch {epochs} to export the pair again "
                f"from. Pass retrain=True to train and export it again, or delete {', '.join(p.name for p in paths)} "
                f"to train (resuming {state.name} if it holds part of this run) and export.{restore}"
            )
        print(f"{problem} Exporting the pair again from the finished training state in {config.shown(state)}.")
        gan, history = train_gan(x_train, epochs=epochs, **train_kwargs)  # reloads: nothing is trained
        export_final(gan, history, *paths, manifest_path=manifest_path)
        return gan, history, True
    gan, history = train_gan(x_train, epochs=epochs, retrain=retrain, **train_kwargs)
    export_final(gan, history, *paths, manifest_path=manifest_path)
    return gan, history, False


def _asked_settings(x_train: np.ndarray, train_kwargs: dict) -> dict:
    """The :func:`run_settings` a call of :func:`train_or_reuse_gan` asks for; ``"auto"`` choices are None."""
    precision = train_kwargs.get("precision", config.GAN_PRECISION)
    jit = train_kwargs.get("jit_compile", "auto")
    return run_settings(
        x_train,
        train_kwargs.get("batch_size", config.BATCH_SIZE),
        train_kwargs.get("seed", config.SEED),
        None if precision == "auto" else precision,
        None if jit == "auto" else jit,
    )


def _check_export_settings(record: dict, manifest_path: Path, epochs: int, asked: dict) -> None:
    """Refuse an exported pair of another epoch count or other settings than ``asked`` (None: not compared)."""
    if record["epochs"] != epochs:
        raise ValueError(
            f"{manifest_path} records a DCGAN trained for {record['epochs']} epochs, not the {epochs} asked for. "
            "Export to other paths (a run folder), or pass retrain=True to replace it."
        )
    saved = record["settings"]
    differ = [k for k, v in asked.items() if v is not None and k in saved and saved[k] != v]
    if differ:
        shown = "; ".join(f"{k}: exported {saved[k]!r}, asked {asked[k]!r}" for k in differ)
        raise ValueError(
            f"{manifest_path} records a DCGAN trained with other settings than asked ({shown}; images is the digest "
            "of the training images). Export to other paths (a run folder) for these settings, or pass retrain=True "
            "to train and replace it."
        )


def _fix(path: Path) -> str:
    """How to get a DCGAN file back: git for the committed one, notebook 02 for any other folder."""
    if config.is_committed(path):
        return f"Restore it with `git checkout -- {config.shown(path)}`, or retrain with notebooks/02_dcgan.ipynb."
    return (
        f"It is written by notebooks/02_dcgan.ipynb into {config.shown(Path(path).parent)}: run that notebook "
        "(or `make reproduce`) with this folder first."
    )


def _load(builder, path: Path) -> keras.Model:
    return load_weights(builder(), Path(path), _fix(Path(path)))


def load_discriminator(path=config.DISCRIMINATOR_PATH) -> keras.Model:
    """The trained discriminator exported by ``02_dcgan.ipynb``."""
    return _load(build_discriminator, path)


def load_generator(path=config.GENERATOR_PATH) -> keras.Model:
    """The trained generator exported by ``02_dcgan.ipynb``."""
    return _load(build_generator, path)


def epoch_table(history: dict, every: int = 5):
    """The training log as a compact table: mean losses and seconds of every ``every``-th epoch (and the last)."""
    import pandas as pd

    n = len(history["epoch_seconds"])
    steps = len(history["g_loss"]) // n
    table = pd.DataFrame(
        {
            "g_loss": np.reshape(history["g_loss"], (n, steps)).mean(axis=1),
            "d_loss": np.reshape(history["d_loss"], (n, steps)).mean(axis=1),
            "seconds": history["epoch_seconds"],
        },
        index=pd.RangeIndex(1, n + 1, name="epoch"),
    )
    shown = sorted({*range(every, n + 1, every), 1, n})
    return table.loc[shown].round(3)


def summarize(history: dict, scores: dict, judge_accuracy: float, n_train: int, reused: bool) -> dict:
    """What results.json records under ``"dcgan"`` (like :func:`digitgan.training.summarize` for classifiers).

    ``scores``: the judge's scores of ``"generated"`` digits, ``"real (train)"`` and ``"real (test)"`` images.
    """
    seconds = float(sum(history["epoch_seconds"]))
    epochs = len(history["epoch_seconds"])
    fake, real, real_test = scores["generated"], scores["real (train)"], scores["real (test)"]
    return {
        "epochs": epochs,
        "n_train": int(n_train),
        "batches": len(history["g_loss"]),
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / epochs, 2),
        "reused_weights": reused,
        "final_g_loss": float(np.mean(history["g_loss"][-100:])),
        "final_d_loss": float(np.mean(history["d_loss"][-100:])),
        "judge_test_accuracy": judge_accuracy,
        "classifier_score": fake["classifier_score"],
        "frechet_distance": fake["frechet_distance"],
        "class_fractions": fake["class_fractions"],
        "mode_collapse": fake["mode_collapse"],
        "real_train_classifier_score": real["classifier_score"],
        "real_train_frechet_distance": real["frechet_distance"],
        "real_test_classifier_score": real_test["classifier_score"],
        "score_by_epoch": {e: s["classifier_score"] for e, s in history["scores"].items()},
    }
