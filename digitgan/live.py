"""Watching training live in TensorBoard.

Every training function takes ``log_dir`` (the notebooks pass ``run.log_dir(name)``): the classifiers log
through Keras' own ``keras.callbacks.TensorBoard`` (per-epoch loss and accuracy, train and test; with
``update_freq`` set to a number of batches, Keras 3.15 writes no epoch summaries for training when an epoch
ends off that period, so batch-level logging is left off); the GANs through :class:`GanLog` (every
batch's losses, the classifier score when the judge scores, the test accuracy for the semi-supervised GAN,
and the fixed-noise sample grid as an image, after every epoch). Logs go under ``runs/`` (git-ignored);
watch them with ``make tensorboard`` or, in a notebook, ``%load_ext tensorboard`` then
``%tensorboard --logdir ../runs``.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import tensorflow as tf


def new_log_dir(root: Path, name: str) -> Path:
    """``root/name-<date-time>``: one folder per training call, so a retrained model's curves never mix
    with an earlier run's (a resumed run gets a folder of its own, continuing the step count)."""
    return Path(root) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def classifier_callback(log_dir: Path) -> keras.callbacks.Callback:
    """Keras' TensorBoard callback as the classifiers use it."""
    return keras.callbacks.TensorBoard(str(log_dir), update_freq="epoch", write_graph=False)


class GanLog(keras.callbacks.Callback):
    """After every epoch, writes to TensorBoard what the training's ``history`` gained in it: per-batch lists
    (``batch_keys``, step = batch number), per-epoch lists (``epoch_keys``, step = epoch), the judge's scores
    (``history["scores"]``), and a grid of ``generator(noise)``. Place it after the callbacks that fill
    ``history``."""

    def __init__(self, log_dir: Path, history: dict, noise=None, batch_keys=(), epoch_keys=(), ncols: int = 3):
        super().__init__()
        self.log_dir, self.history, self.noise = Path(log_dir), history, noise
        self.batch_keys, self.epoch_keys, self.ncols = tuple(batch_keys), tuple(epoch_keys), ncols
        self.writer = None
        self.written = {key: len(history.get(key, [])) for key in self.batch_keys}  # resumed: logged before

    def on_train_begin(self, logs=None):
        self.writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_epoch_end(self, epoch, logs=None):
        from digitgan.plots import image_grid

        with self.writer.as_default():
            for key in self.batch_keys:
                values = self.history[key]
                for step in range(self.written[key], len(values)):
                    tf.summary.scalar(f"batch/{key}", values[step], step=step + 1)
                self.written[key] = len(values)
            for key in self.epoch_keys:
                if self.history.get(key):
                    tf.summary.scalar(f"epoch/{key}", self.history[key][-1], step=epoch + 1)
            score = self.history.get("scores", {}).get(str(epoch + 1))
            if score:
                tf.summary.scalar("epoch/classifier_score", score["classifier_score"], step=epoch + 1)
            if self.noise is not None:
                images = keras.ops.convert_to_numpy(self.model.generator(self.noise, training=False))
                if images.min() >= 0:  # a generator with sigmoid pixels in [0, 1]: the grid wants [-1, 1]
                    images = images * 2 - 1
                images = images.reshape(len(images), 28, 28, 1)
                grid = image_grid(images, self.ncols)
                tf.summary.image("samples", grid[None, :, :, None], step=epoch + 1)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()


def read_log(log_dir: Path) -> dict[str, list[tuple[int, float | None]]]:
    """Every summary in the event files under ``log_dir`` as ``{tag: [(step, value)]}`` (``None`` for images),
    tags prefixed by their sub-folder (Keras writes ``train/`` and ``validation/``): for tests and for reading
    a run's log back without TensorBoard's UI."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out: dict[str, list] = {}
    folders = sorted({events.parent for events in Path(log_dir).rglob("events.out.tfevents.*")})
    for folder in folders:
        acc = EventAccumulator(str(folder), size_guidance={"tensors": 0})
        acc.Reload()
        prefix = folder.relative_to(log_dir).as_posix()
        for tag in acc.Tags().get("tensors", []):
            key = tag if prefix == "." else f"{prefix}/{tag}"
            for event in acc.Tensors(tag):
                image = event.tensor_proto.dtype == tf.string.as_datatype_enum
                value = None if image else float(tf.make_ndarray(event.tensor_proto))
                out.setdefault(key, []).append((event.step, value))
    return out
