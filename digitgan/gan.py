"""The DCGAN: a ``keras.Model`` with its own ``train_step``, resumable checkpoints and callbacks.

Follows the TensorFlow DCGAN tutorial (binary cross-entropy on logits, Adam(1e-4) for each
network, one update of both per batch). Resuming is exact: the noise of step ``s`` is
``stateless_normal(seed=[seed, s])``, the shuffle of epoch ``e`` is seeded by ``(seed, e)``,
and the generator, discriminator, both optimizers (including their step counters), the epoch
counter and the per-batch loss history are checkpointed together.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, config
from digitgan.checkpoint import PeriodicCheckpoint, TrainingCheckpoint, rng_state
from digitgan.models import build_discriminator, build_generator
from digitgan.utils import DataFileError, atomic_write_text, dumps, load_weights, read_json_object, save_weights

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
    """Steps per second of the DCGAN's training step as ``train_gan`` runs it (:func:`digitgan.speed.fit_rate`)."""
    from digitgan.speed import fit_rate
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
    """``"auto"``: XLA on or off as measured on this machine (:func:`digitgan.speed.choose_jit`)."""
    if jit_compile != "auto":
        return bool(jit_compile)
    from digitgan.speed import choose_jit

    return choose_jit(f"DCGAN step ({precision})", lambda jit: measure_step(jit, precision))


def resolve_precision(precision: str) -> tuple[str, str]:
    """``(policy, why)``. ``"auto"`` gives ``"mixed_bfloat16"`` only where the CPU multiplies bf16 natively (AMX
    or AVX512_BF16), the committed 3-seed quality study (``benchmarks/dcgan_precision.py``) found bf16 no worse
    than float32, and the bf16 step measures faster here (once, cached); ``"float32"`` otherwise. Other values
    are returned as they are."""
    if precision != "auto":
        return precision, "as asked"
    from digitgan import speed

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


class SampleGrid(keras.callbacks.Callback):
    """Saves the 3x3 grid of the fixed noise batch after every epoch (``dcgan_epochs/epoch_NNN.png``)."""

    def __init__(self, frames_dir: Path, noise: tf.Tensor):
        super().__init__()
        self.frames_dir = Path(frames_dir)
        self.noise = noise

    def on_epoch_end(self, epoch, logs=None):
        from digitgan.plots import save_sample_frame

        images = self.model.generator(self.noise, training=False).numpy()
        save_sample_frame(images, self.frames_dir / f"epoch_{epoch + 1:03d}.png", title=f"epoch {epoch + 1}")


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


def gan_checkpoint(gan: DCGAN, directory: Path, max_to_keep: int = 3, settings: dict | None = None):
    """The DCGAN's complete training state in ``directory`` (``tf.train.Checkpoint`` + loss history)."""
    return TrainingCheckpoint(
        directory,
        max_to_keep,
        settings,
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
            if int(frame.stem.split("_")[1]) > after_epoch:
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
    frames after its checkpoint), so no figure mixes two runs. ``checkpoint_dir`` remembers the settings
    (batch size, seed, precision, training images); resuming it with others is refused.

    Each epoch runs as one call from Python, with every batch's losses kept on the device and read at
    the epoch's end; ``jit_compile="auto"`` compiles it with XLA if that measured faster on this machine.
    With ``log_dir``, every batch's losses, the scores and the fixed-noise grid go to TensorBoard there.
    """
    from digitgan.utils import set_seed

    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.batch_size(batch_size, len(x_train))
    checkpoint_every = checks.integer("checkpoint_every", checkpoint_every, 1)
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
    settings = {
        "batch_size": batch_size,
        "seed": seed,
        "precision": precision,
        "learning_rate": config.GAN_LEARNING_RATE,
        "n_train": len(x_train),
    }
    ckpt = gan_checkpoint(gan, checkpoint_dir, settings=settings)
    start, history = ckpt.resume(epochs, "the DCGAN", empty_history())
    if start >= epochs:
        return gan, history
    clear_frames(frames_dir, after_epoch=start, gif_path=gif_path)
    callbacks = [LossHistory(history), PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs)]
    noise = fixed_noise(seed=seed)
    if frames_dir is not None:
        callbacks.append(SampleGrid(frames_dir, noise))
    if judge is not None:
        callbacks.insert(1, QualityTracker(history, judge, score_every, score_samples, final_epoch=epochs))
    if log_dir is not None:
        from digitgan.live import GanLog

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


def export_final(
    gan: DCGAN,
    history: dict,
    generator_path=config.GENERATOR_PATH,
    discriminator_path=config.DISCRIMINATOR_PATH,
    history_path=config.GAN_HISTORY_PATH,
):
    """Write the final generator and discriminator weights (what the trials load) and the loss history."""
    save_weights(gan.generator, generator_path)
    save_weights(gan.discriminator, discriminator_path)
    atomic_write_text(Path(history_path), dumps(history))
    return Path(generator_path), Path(discriminator_path)


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
    **train_kwargs,
) -> tuple[DCGAN, dict, bool]:
    """Reuse the exported final DCGAN if it was trained for ``epochs``; else train (resuming) and export.

    Returns ``(gan, history, reused)``. ``retrain=True`` always trains from scratch. Exported weights of a
    run with another epoch count are never overwritten without ``retrain=True``: export elsewhere (the
    notebooks do so in a run folder of their own).
    """
    epochs = checks.integer("epochs", epochs, 1)
    checks.batch_size(train_kwargs.get("batch_size", config.BATCH_SIZE), len(x_train))
    paths = [Path(generator_path), Path(discriminator_path), Path(history_path)]
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
        print(
            f"Reusing the DCGAN trained for {epochs} epochs in {config.shown(paths[0].parent)} "
            "(set RETRAIN = True in the parameters, or RETRAIN_GAN=1 for make reproduce, to train it again)."
        )
        return gan, history, True
    gan, history = train_gan(x_train, epochs=epochs, retrain=retrain, **train_kwargs)
    export_final(gan, history, *paths)
    return gan, history, False


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
