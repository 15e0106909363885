"""Training the study's DCGAN resumably (a resumed run repeats an uninterrupted one), exporting or reusing the pair."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, config, frames, models, quality, store
from digitgan.checkpoint import PeriodicCheckpoint, gan_checkpoint, latest_checkpoint, run_settings
from digitgan.fileio import DataFileError, load_weights, read_json_object
from digitgan.utils import set_seed

DCGAN, AdversarialModel, build_dcgan = models.DCGAN, models.AdversarialModel, models.build_dcgan  # notebook 02: gan.*
discriminator_loss, generator_loss = models.discriminator_loss, models.generator_loss
STATE_NAME, FRAMES_NAME = "dcgan", "dcgan_epochs"  # the training state's folder, the frames' folder


def fixed_noise(n: int = 9, seed: int = config.SEED) -> tf.Tensor:
    """The one noise batch whose samples are drawn every epoch (the report's 3x3 grid)."""
    return quality.noise(n, -1, "normal", seed=seed)


def epoch_batches(x: np.ndarray, batch_size: int, first_epoch: int, last_epoch: int, seed=config.SEED, y=None):
    """Batches of epochs ``first_epoch`` to ``last_epoch - 1``, each shuffled by ``(seed, epoch)`` alone."""
    images, seed = tf.constant(x), tf.cast(seed, tf.int64)

    def one_epoch(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(len(x)), seed=tf.stack([seed, epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    batches = tf.data.Dataset.range(first_epoch, last_epoch).flat_map(one_epoch)
    if y is not None:
        labels = tf.constant(y, tf.int32)
        return batches.map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx))).prefetch(tf.data.AUTOTUNE)
    return batches.map(lambda idx: tf.gather(images, idx)).prefetch(tf.data.AUTOTUNE)


class _EpochLog(keras.callbacks.Callback):
    """Appends each batch's losses and the epoch's seconds to ``history``, and the ``judge``'s scores."""

    def __init__(self, history: dict, judge, every: int, n: int):
        super().__init__()
        self.history, self.judge, self.every, self.n = history, judge, every, n

    def on_epoch_begin(self, epoch, logs=None):
        self.model.batch_in_epoch.assign(0)
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        losses = self.model.loss_log.numpy()[: int(self.model.batch_in_epoch.numpy())]
        self.history["epoch_seconds"].append(time.perf_counter() - self._start)
        self.history["g_loss"].extend(float(v) for v in losses[:, 0])
        self.history["d_loss"].extend(float(v) for v in losses[:, 1])
        if self.judge is not None and ((done := epoch + 1) % self.every == 0 or done == self.params["epochs"]):
            samples = quality.generate(self.model.generator, self.n, seed=done)
            score = quality.judge_scores(self.judge, samples)["classifier_score"]
            self.history["scores"][str(done)] = {"classifier_score": score}
            logs["classifier_score"] = score  # for TensorBoard, after this callback
            print(f"epoch {done}: classifier score {score:.3f} on {self.n} samples")


def train_gan(
    x_train: np.ndarray,
    epochs: int = config.GAN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    checkpoint_dir: Path = config.CHECKPOINT_DIR / STATE_NAME,
    checkpoint_every: int = config.GAN_CHECKPOINT_EVERY,
    frames_dir: Path | None = None,
    judge=None,
    score_every: int = config.GAN_SCORE_EVERY,
    score_samples: int = config.GAN_SCORE_SAMPLES,
    retrain: bool = False,
    seed: int = config.SEED,
    jit_compile: bool = config.GAN_XLA,
    verbose: int = 2,
    precision: str = config.GAN_PRECISION,
    gif_path: Path | None = None,
    log_dir: Path | None = None,
    learning_rate: float | None = None,
) -> tuple[DCGAN, dict]:
    """``(gan, history)`` trained to ``epochs``, resuming ``checkpoint_dir`` (finished: reloaded unless ``retrain``)."""
    checks.images("x_train", x_train)
    epochs, seed = checks.integer("epochs", epochs, 1), checks.seed(seed)
    batch_size = checks.batch_size(batch_size, len(x_train))
    checkpoint_every = checks.integer("checkpoint_every", checkpoint_every, 1)
    checks.integer("score_every", score_every, 1)
    checks.integer("score_samples", score_samples, 1)
    checks.choice("precision", precision, ("float32", "mixed_bfloat16"))
    jit_compile = checks.choice("jit_compile", jit_compile, (False, True))
    checkpoint_dir, steps = Path(checkpoint_dir), len(x_train) // batch_size
    set_seed(seed, deterministic=not jit_compile)  # a rerun (or a resume) builds the same initial networks
    if retrain and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    gan = build_dcgan(learning_rate, seed, jit_compile, precision, steps_per_execution=steps)
    gan.loss_log = tf.Variable(tf.zeros([steps, 2]), trainable=False)  # read once an epoch by _EpochLog
    gan.run_settings = run_settings(x_train, batch_size, seed, precision, jit_compile, gan)  # for export_final
    ckpt = gan_checkpoint(gan, checkpoint_dir, settings=gan.run_settings)
    start, history = ckpt.resume(epochs, "the DCGAN", {"g_loss": [], "d_loss": [], "epoch_seconds": [], "scores": {}})
    noise = fixed_noise(seed=seed)
    if frames_dir is not None:
        frames.repair_frames(frames_dir, start, gan.generator, noise, gif_path, clear_later=start < epochs)
    if start >= epochs:
        return gan, history
    callbacks = [_EpochLog(history, judge, score_every, score_samples)]
    if log_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir, write_graph=False))
    callbacks.append(PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs))
    if frames_dir is not None:
        draw = lambda epoch, logs: frames.draw_frame(gan.generator, noise, frames_dir, epoch + 1)  # noqa: E731
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=draw))
    fit = dict(epochs=epochs, initial_epoch=start, steps_per_epoch=steps, callbacks=callbacks, verbose=verbose)
    gan.fit(epoch_batches(x_train, batch_size, start, epochs, seed), shuffle=False, **fit)  # shuffled per epoch
    return gan, history


def output_paths(checkpoint_dir: Path, figures_dir: Path) -> dict:
    """Where a DCGAN run in these folders keeps everything: ``train_or_reuse_gan(x, **output_paths(...))``."""
    checkpoint_dir, figures_dir = Path(checkpoint_dir), Path(figures_dir)
    return {
        "generator_path": checkpoint_dir / config.GENERATOR_FILE,
        "discriminator_path": checkpoint_dir / config.DISCRIMINATOR_FILE,
        "history_path": checkpoint_dir / config.GAN_HISTORY_FILE,
        "checkpoint_dir": checkpoint_dir / STATE_NAME,
        "frames_dir": figures_dir / FRAMES_NAME,
        "gif_path": figures_dir / config.GAN_GIF_FILE,
    }


def train_or_reuse_gan(
    x_train: np.ndarray,
    epochs: int = config.GAN_EPOCHS,
    retrain: bool = False,
    generator_path=config.CHECKPOINT_DIR / config.GENERATOR_FILE,
    discriminator_path=config.DISCRIMINATOR_PATH,
    history_path=config.CHECKPOINT_DIR / config.GAN_HISTORY_FILE,
    **train_kwargs,
) -> tuple[DCGAN, dict, bool]:
    """Reuse the exported DCGAN its manifest vouches for, else train (resuming) and export it."""
    epochs = checks.integer("epochs", epochs, 1)
    get = train_kwargs.get
    checks.batch_size(get("batch_size", config.BATCH_SIZE), len(x_train))
    paths = [Path(generator_path), Path(discriminator_path), Path(history_path)]
    manifest_path = store.export_manifest_path(paths[0])
    if reused := not retrain and all(p.is_file() for p in paths):
        record, problem = store.verify_export(paths, manifest_path)
        if record is not None:
            seed, precision = get("seed", config.SEED), get("precision", config.GAN_PRECISION)
            gan = build_dcgan(jit_compile=False, precision=precision, learning_rate=get("learning_rate"))
            batch, jit_compile = get("batch_size", config.BATCH_SIZE), get("jit_compile", config.GAN_XLA)
            asked = run_settings(x_train, batch, seed, precision, jit_compile, gan)
            store.check_export_settings(record, manifest_path, epochs, asked)
            for network, path in zip((gan.generator, gan.discriminator), paths[:2], strict=True):
                load_weights(network, path, _fix(path), store.committed_sha256(path))
            history = read_json_object(paths[2], "the DCGAN's exported loss history", _fix(paths[2]))
            if get("frames_dir") is not None:  # the final frame, missing after a kill: drawn as train_gan does
                frames.repair_frames(get("frames_dir"), epochs, gan.generator, fixed_noise(seed=seed), get("gif_path"))
            print(
                f"Reusing the DCGAN trained for {epochs} epochs in {config.shown(paths[0].parent)} "
                "(set RETRAIN = True in the parameters, or RETRAIN_GAN=1 for make reproduce, to train it again)."
            )
            return gan, history, True
        state = Path(get("checkpoint_dir", config.CHECKPOINT_DIR / STATE_NAME))
        if (latest := latest_checkpoint(state)) is None or Path(latest).name != f"ckpt-{epochs}":
            raise DataFileError(
                f"{problem} {state} holds no training state finished at epoch {epochs} to export the pair again "
                f"from. Pass retrain=True to train and export it again, or delete {', '.join(p.name for p in paths)} "
                f"to train (resuming {state.name} if it holds part of this run) and export."
            )
        print(f"{problem} Exporting the pair again from the finished training state in {config.shown(state)}.")
    gan, history = train_gan(x_train, epochs=epochs, retrain=retrain, **train_kwargs)  # reused: reloads the state
    store.export_final(gan, history, *paths)
    return gan, history, reused


def _fix(path: Path) -> str:
    """How to get a DCGAN file back: git for the committed one, notebook 02 for any other folder."""
    committed = Path(path).resolve().parent in config.COMMITTED_DIRS
    git = f"`git checkout -- {config.shown(path)}` restores it, or " if committed else ""
    return f"{git}notebooks/02_dcgan.ipynb writes it into {config.shown(Path(path).parent)}: run that notebook."


def load_discriminator(path=config.DISCRIMINATOR_PATH) -> keras.Model:
    """The trained discriminator exported by ``02_dcgan.ipynb``."""
    return load_weights(models.build_discriminator(), path, _fix(path), store.committed_sha256(path))
