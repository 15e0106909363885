"""Training and evaluating the 10-way classifiers (the CNN and the transferred discriminators)."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from digitgan import checks, config
from digitgan.data import one_hot


def compile_classifier(model: keras.Model, learning_rate: float = config.SGD_LEARNING_RATE):
    """Categorical cross-entropy with a fresh SGD (no momentum: the Keras default)."""
    opt = keras.optimizers.SGD(checks.learning_rate(learning_rate))
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
    learning_rate: float | None = None,
) -> dict:
    """Checked ``fit`` (compiled anew if ``learning_rate``), scored on the test set or, if ``validate="val"``, x_val."""
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.integer("batch_size", batch_size, 1)  # Keras trains one batch if it exceeds the images
    checks.integer("initial_epoch", initial_epoch, 0, epochs - 1)
    if steps_per_epoch is not None:
        checks.integer("steps_per_epoch", steps_per_epoch, 1)
    checks.seed(seed)
    split = "val" if validate == "val" else "test"
    checks.labelled(data, ("train", split))
    if learning_rate is not None:
        compile_classifier(model, learning_rate)
    x, y = data["x_train"], one_hot(data["y_train"])
    if steps_per_epoch is not None:
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        x, y, batch_size = dataset.repeat().batch(batch_size).prefetch(2), None, None
    if split == "test" and verbose:  # Keras would call the test set "val": print each epoch under its own name
        callbacks, verbose = [*(callbacks or []), TestSetLine(epochs)], 0
    fit = dict(batch_size=batch_size, epochs=epochs, initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch)
    fit |= dict(validation_data=(data[f"x_{split}"], one_hot(data[f"y_{split}"])), verbose=verbose, callbacks=callbacks)
    return model.fit(x, y, shuffle=steps_per_epoch is None, **fit).history  # a dataset is shuffled by itself


class TestSetLine(keras.callbacks.Callback):
    """One line per epoch: Keras' ``val_`` metrics, printed as the test set's."""

    def __init__(self, epochs: int):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        train, test = (f"loss {logs[f'{p}loss']:.4f}, accuracy {logs[f'{p}accuracy']:.4f}" for p in ("", "val_"))
        print(f"epoch {epoch + 1}/{self.epochs}: train {train}; test {test}", flush=True)


class BestWeights(keras.callbacks.Callback):
    """The weights of the epoch with the highest ``monitor``, kept across ``fit`` calls; ties keep the earlier."""

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
    verbose: int = 2,
    seed: int = config.SEED,
) -> tuple[dict, float]:
    """Compile and train, scored on the test set each epoch; ``(history, seconds)``."""
    start = time.perf_counter()
    history = fit_classifier(model, data, epochs, batch_size, verbose=verbose, seed=seed, learning_rate=learning_rate)
    return history, time.perf_counter() - start


def predict_labels(model: keras.Model, x: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """``(predicted labels, the model's outputs)`` in inference mode."""
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


def new_log_dir(root: Path, name: str) -> Path:
    """``root/name-<date-time>``: one TensorBoard folder per training call."""
    return Path(root) / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
