"""The discriminator as a 10-way classifier (a copy of its layers, then a new head) and its two-phase schedule."""

from __future__ import annotations

import re
import time

import keras
from keras import layers

from digitgan import checks, config
from digitgan.training import fit_classifier

HEAD_PREFIX = "head_"
# The unfrozen phase's optimizers, by the names keras.optimizers.get takes (a notebook's FINE_TUNE_OPTIMIZER).
FINE_TUNE_OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "nadam", "adamax", "adagrad", "adadelta", "ftrl")


def _head_units(head: str) -> int:
    match = re.fullmatch(r"dense(\d+)", head) if isinstance(head, str) else None
    if not match or int(match[1]) < 1:
        raise ValueError(f'HEAD must be "dense10" or "dense<units>" such as "dense128", got {head!r}')
    return int(match[1])


def discriminator_to_classifier(discriminator: keras.Model, head: str = "dense10", freeze: bool = True) -> keras.Model:
    """Copies of the discriminator's layers but Dense(1) (frozen if ``freeze``), Dense(N) unless N is 10, softmax."""
    units = _head_units(head)
    copy = keras.models.clone_model(discriminator)  # new layer objects ...
    copy.set_weights(discriminator.get_weights())  # ... holding the trained weights
    for layer in copy.layers[:-1]:
        layer.trainable = not freeze
    softmax = layers.Dense(config.NUM_CLASSES, activation="softmax", name=f"{HEAD_PREFIX}softmax")
    hidden = [] if head == f"dense{config.NUM_CLASSES}" else [layers.Dense(units, name=f"{HEAD_PREFIX}{head}")]
    return keras.Sequential(
        [keras.Input(shape=config.IMAGE_SHAPE), *copy.layers[:-1], *hidden, softmax], name=f"classifier_{head}"
    )


def set_transferred_trainable(model: keras.Model, trainable: bool) -> None:
    """Freeze (``False``) or unfreeze the layers that came from the discriminator; the head always trains."""
    for layer in model.layers:
        if not layer.name.startswith(HEAD_PREFIX):
            layer.trainable = trainable


def trainable_count(model: keras.Model) -> int:
    return int(sum(keras.ops.size(w) for w in model.trainable_weights))


def fine_tuning_record(optimizer: str, learning_rate: float, first_learning_rate: float, fine_tuned: bool) -> dict:
    """The unfrozen phase's optimizer and rate for a trial's record, where it had one other than the original's."""
    if not fine_tuned or (optimizer, learning_rate) == ("sgd", first_learning_rate):
        return {}
    return {"fine_tune_optimizer": optimizer, "fine_tune_learning_rate": learning_rate}


def check_trial(head, frozen_epochs, total_epochs, learning_rate, optimizer, fine_tune_learning_rate, batch_size):
    """A trial notebook's parameters, each error naming its parameter."""
    _head_units(head)
    checks.integer("FROZEN_EPOCHS", frozen_epochs, 0, checks.integer("TOTAL_EPOCHS", total_epochs, 1))
    checks.learning_rate(learning_rate, "LEARNING_RATE")
    checks.choice("FINE_TUNE_OPTIMIZER", optimizer, FINE_TUNE_OPTIMIZERS)
    checks.learning_rate(fine_tune_learning_rate, "FINE_TUNE_LEARNING_RATE")
    checks.integer("BATCH_SIZE", batch_size, 1)


def train_schedule(
    model: keras.Model,
    data: dict,
    frozen_epochs: int,
    total_epochs: int = config.TRANSFER_EPOCHS,
    learning_rate: float = config.SGD_LEARNING_RATE,
    batch_size: int = config.BATCH_SIZE,
    **fit_options,
) -> dict:
    """Frozen for ``frozen_epochs``, then every layer to ``total_epochs``, each phase compiled afresh (03-05)."""
    total_epochs = checks.integer("total_epochs", total_epochs, 1)
    frozen_epochs = checks.integer("frozen_epochs", frozen_epochs, 0, total_epochs)
    history, trainable, start = {}, [], time.perf_counter()
    for unfrozen, first, end in ((False, 0, frozen_epochs), (True, frozen_epochs, total_epochs)):
        if end <= first:
            continue
        set_transferred_trainable(model, unfrozen)
        phase = fit_classifier(model, data, end, batch_size, first, **fit_options, learning_rate=learning_rate)
        trainable.append(trainable_count(model))
        for key, values in phase.items():
            history.setdefault(key, []).extend(values)
    return {
        "history": history,
        "phase_boundary": frozen_epochs if 0 < frozen_epochs < total_epochs else None,
        "trainable_params": trainable,
        "seconds": time.perf_counter() - start,
    }


def unchanged(discriminator: keras.Model, path) -> bool:
    """Whether ``discriminator`` still holds exactly the weights saved in ``path``."""
    from digitgan.gan import load_discriminator

    pairs = zip(load_discriminator(path).get_weights(), discriminator.get_weights(), strict=True)
    return all((a == b).all() for a, b in pairs)
