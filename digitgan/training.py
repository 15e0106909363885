"""Training and evaluating the 10-way classifiers (the CNN and the transferred discriminators)."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, config
from digitgan.data import one_hot


def compile_classifier(model: keras.Model, learning_rate: float = config.SGD_LEARNING_RATE, optimizer: str = "sgd"):
    """Categorical cross-entropy with a fresh optimizer (SGD, lr 0.01, no momentum: the Keras default)."""
    optimizers = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}
    checks.choice("optimizer", optimizer, optimizers)
    opt = optimizers[optimizer](checks.learning_rate(learning_rate))
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def fit_classifier(
    model: keras.Model,
    data: dict,
    epochs: int,
    batch_size: int = config.BATCH_SIZE,
    initial_epoch: int = 0,
    verbose: int = 2,
    callbacks=None,
    validate: bool | str = True,
    steps_per_epoch: int | None = None,
    seed: int = config.SEED,
) -> dict:
    """``fit`` on the training images; returns the history dict.

    ``validate``: ``True`` scores the test set after every epoch (the original's protocol, for its curves),
    ``"val"`` the validation split ``data["x_val"]``/``data["y_val"]`` (for choices), ``False`` nothing.
    ``steps_per_epoch``: an "epoch" of that many updates, the images reshuffled (``seed``) and repeated, so a
    budget in updates is the same whatever the number of images; ``None``: one pass over the images.
    The arguments and arrays are checked first (:func:`_check_fit`).
    """
    _check_fit(data, epochs, batch_size, initial_epoch, validate, steps_per_epoch, seed)
    return _fit_unchecked(
        model, data, epochs, batch_size, initial_epoch, verbose, callbacks, validate, steps_per_epoch, seed
    )


def _splits_read(validate: bool | str) -> tuple[str, ...]:
    """The splits of ``data`` that a fit with this ``validate`` reads."""
    if validate == "val":
        return ("train", "val")
    return ("train", "test") if validate else ("train",)


def _check_fit(
    data: dict,
    epochs: int,
    batch_size: int,
    initial_epoch: int = 0,
    validate: bool | str = True,
    steps_per_epoch: int | None = None,
    seed: int = config.SEED,
) -> None:
    """:func:`fit_classifier`'s arguments, and the arrays it reads (images float in [-1, 1] and finite, labels
    integers 0-9, one per image, none empty): a ``ValueError`` naming the first bad one."""
    epochs = checks.integer("epochs", epochs, 1)
    checks.integer("initial_epoch", initial_epoch, 0, epochs - 1)
    checks.integer("batch_size", batch_size, 1)  # Keras trains one batch if it exceeds the images
    if steps_per_epoch is not None:
        checks.integer("steps_per_epoch", steps_per_epoch, 1)
    checks.seed(seed)
    if validate == "val" and not {"x_val", "y_val"} <= set(data):
        raise ValueError("validate='val' needs data['x_val'], data['y_val']: load_label_efficiency_data(n_val=...)")
    checks.labelled(data, _splits_read(validate))


def _fit_unchecked(
    model, data, epochs, batch_size, initial_epoch, verbose, callbacks, validate, steps_per_epoch, seed
) -> dict:
    """:func:`fit_classifier` without its checks: for callers that made them once (:func:`_check_fit`)."""
    if validate == "val":
        validation = (data["x_val"], one_hot(data["y_val"]))
    else:
        validation = (data["x_test"], one_hot(data["y_test"])) if validate else None
    x, y = data["x_train"], one_hot(data["y_train"])
    if steps_per_epoch is not None:
        import tensorflow as tf

        x = (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            .repeat()
            .batch(batch_size)
            .prefetch(2)
        )
        y = batch_size = None
    if validate is True and verbose:  # Keras would call the test set "val": print each epoch under its own name
        callbacks, verbose = [*(callbacks or []), TestSetLine(epochs)], 0
    history = model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=steps_per_epoch,
        validation_data=validation,
        shuffle=steps_per_epoch is None,  # a dataset is shuffled by itself
        verbose=verbose,
        callbacks=callbacks,
    )
    return history.history


class TestSetLine(keras.callbacks.Callback):
    """One line per epoch for a fit scored on the test set (the original's protocol): Keras' ``val_`` metrics are
    the test set's there, and printed as such (the history keeps Keras' keys)."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        print(
            f"epoch {epoch + 1}/{self.epochs}: train loss {logs.get('loss', float('nan')):.4f}, accuracy "
            f"{logs.get('accuracy', float('nan')):.4f}; test loss {logs.get('val_loss', float('nan')):.4f}, "
            f"accuracy {logs.get('val_accuracy', float('nan')):.4f}",
            flush=True,
        )


class BestWeights(keras.callbacks.Callback):
    """The weights of the epoch with the highest ``monitor`` (validation accuracy), kept across ``fit`` calls (the
    two phases of a transfer schedule); :meth:`restore` puts them back. Ties keep the earlier epoch."""

    def __init__(self, monitor: str = "val_accuracy"):
        super().__init__()
        self.monitor, self.best, self.epoch, self.weights = monitor, -np.inf, None, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(f"BestWeights monitors {self.monitor!r}, which fit did not log: pass validation data")
        if value > self.best:
            self.best, self.epoch, self.weights = float(value), epoch + 1, self.model.get_weights()

    def restore(self, model: keras.Model) -> None:
        if self.weights is None:
            raise RuntimeError("BestWeights saw no epoch: train before restoring")
        model.set_weights(self.weights)


def check_training(
    data: dict,
    epochs: int,
    learning_rate: float,
    batch_size: int,
    optimizer: str = "sgd",
    validate: bool | str = True,
    steps_per_epoch: int | None = None,
    seed: int = config.SEED,
) -> tuple[int, int]:
    """What a compile-and-fit reads (:func:`train_classifier`, :func:`digitgan.transfer.train_schedule`): the
    learning rate, the optimizer, then :func:`_check_fit`'s arguments and arrays; returns ``(epochs, batch_size)``
    as ints."""
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.integer("batch_size", batch_size, 1)  # Keras trains one batch if it exceeds the images
    checks.learning_rate(learning_rate)
    checks.choice("optimizer", optimizer, ("sgd", "adam"))
    _check_fit(data, epochs, batch_size, 0, validate, steps_per_epoch, seed)
    return epochs, batch_size


def train_classifier(
    model: keras.Model,
    data: dict,
    epochs: int = config.CNN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    learning_rate: float = config.SGD_LEARNING_RATE,
    optimizer: str = "sgd",
    verbose: int = 2,
    validate: bool | str = True,
    log_dir: Path | None = None,
    seed: int = config.SEED,
) -> tuple[dict, float]:
    """Compile and train; returns ``(history, seconds)``. ``validate``: as in :func:`fit_classifier`. With
    ``log_dir``, TensorBoard logs go there (:func:`_classifier_callback` below). ``seed`` orders the batches."""
    epochs, batch_size = check_training(data, epochs, learning_rate, batch_size, optimizer, validate, seed=seed)
    compile_classifier(model, learning_rate, optimizer)
    start = time.perf_counter()
    callbacks = [_classifier_callback(log_dir)] if log_dir else None
    history = _fit_unchecked(model, data, epochs, batch_size, 0, verbose, callbacks, validate, None, seed)
    return history, time.perf_counter() - start


def predict_labels(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """``(predicted labels, the model's outputs)`` in inference mode: class probabilities for the classifiers,
    class logits for the semi-supervised GAN's discriminator. The one prediction helper of the study."""
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    return probs.argmax(axis=1), probs


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """The fraction of ``x`` that ``model`` labels as ``y``, in inference mode."""
    return float(np.mean(predict_labels(model, x, batch_size)[0] == y))


def summarize(history: dict, y_true: np.ndarray, y_pred: np.ndarray, n_train: int, seconds: float, **extra) -> dict:
    """The metrics every classifier notebook records in results.json."""
    return {
        "train_accuracy": float(history["accuracy"][-1]),
        "test_accuracy": float(np.mean(y_true == y_pred)),
        "epochs": len(history["accuracy"]),
        "n_train": int(n_train),
        "seconds": round(float(seconds), 1),
        "history": {k: [round(float(v), 5) for v in vals] for k, vals in history.items()},
        **extra,
    }


# ---- Watching training live in TensorBoard
# Every training function takes ``log_dir`` (the notebooks pass ``run.log_dir(name)``): the classifiers log
# through Keras' own ``keras.callbacks.TensorBoard`` (per-epoch loss and accuracy, train and test; with
# ``update_freq`` set to a number of batches, Keras 3.15 writes no epoch summaries for training when an epoch
# ends off that period, so batch-level logging is left off); the GANs through :class:`GanLog` (every
# batch's losses, the classifier score when the judge scores, the test accuracy for the semi-supervised GAN,
# and the fixed-noise sample grid as an image, after every epoch). Logs go under ``runs/`` (git-ignored);
# watch them with ``make tensorboard`` or, in a notebook, ``%load_ext tensorboard`` then
# ``%tensorboard --logdir ../runs``.


def new_log_dir(root: Path, name: str) -> Path:
    """``root/name-<date-time>``: one folder per training call, so a retrained model's curves never mix
    with an earlier run's (a resumed run gets a folder of its own, continuing the step count)."""
    return Path(root) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _classifier_callback(log_dir: Path) -> keras.callbacks.Callback:
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
