"""Training and evaluating the 10-way classifiers (the CNN and the transferred discriminators)."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

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
    The arguments and arrays are checked first (:func:`check_fit`).
    """
    check_fit(data, epochs, batch_size, initial_epoch, validate, steps_per_epoch, seed)
    return fit_unchecked(
        model, data, epochs, batch_size, initial_epoch, verbose, callbacks, validate, steps_per_epoch, seed
    )


def splits_read(validate: bool | str) -> tuple[str, ...]:
    """The splits of ``data`` that a fit with this ``validate`` reads."""
    if validate == "val":
        return ("train", "val")
    return ("train", "test") if validate else ("train",)


def check_fit(
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
    checks.labelled(data, splits_read(validate))


def fit_unchecked(
    model, data, epochs, batch_size, initial_epoch, verbose, callbacks, validate, steps_per_epoch, seed
) -> dict:
    """:func:`fit_classifier` without its checks: for callers that made them once (:func:`check_fit`)."""
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


def train_classifier(
    model: keras.Model,
    data: dict,
    epochs: int = config.CNN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    learning_rate: float = config.SGD_LEARNING_RATE,
    optimizer: str = "sgd",
    verbose: int = 2,
    validate: bool = True,
    log_dir: Path | None = None,
) -> tuple[dict, float]:
    """Compile and train; returns ``(history, seconds)``. With ``log_dir``, TensorBoard logs go there
    (:mod:`digitgan.live`)."""
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.integer("batch_size", batch_size, 1)  # Keras trains one batch if it exceeds the images
    checks.learning_rate(learning_rate)
    checks.choice("optimizer", optimizer, ("sgd", "adam"))
    check_fit(data, epochs, batch_size, validate=validate)
    from digitgan.live import classifier_callback

    compile_classifier(model, learning_rate, optimizer)
    start = time.perf_counter()
    callbacks = [classifier_callback(log_dir)] if log_dir else None
    history = fit_unchecked(model, data, epochs, batch_size, 0, verbose, callbacks, validate, None, config.SEED)
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
