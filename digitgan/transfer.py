"""The discriminator as a 10-way classifier: the model builder and the two-phase schedule the extensions reuse.

Notebooks 03-05 show the method in their own cells (freeze, compile, fit, unfreeze, compile, fit), following the
keras.io guide "Transfer learning & fine-tuning": the classifier gets a *copy* of the discriminator's layers and
weights, so training it never changes the discriminator; a change of ``trainable`` takes effect on compile, and
each compile gets a fresh optimizer (Keras 3 refuses to reuse one across compiles).
"""

from __future__ import annotations

import re
import time

import keras
from keras import layers

from digitgan import checks, config
from digitgan.training import check_training, compile_classifier, fit_classifier

HEAD_PREFIX = "head_"
HEAD_PATTERN = re.compile(r"dense(\d+)")


def _check_head(head: str) -> int:
    """The units of a head named ``"dense<units>"``."""
    match = HEAD_PATTERN.fullmatch(head) if isinstance(head, str) else None
    if not match or int(match[1]) < 1:
        raise ValueError(f'HEAD must be "dense10" or "dense<units>" such as "dense128", got {head!r}')
    return int(match[1])


def head_layers(head: str, num_classes: int = config.NUM_CLASSES) -> list:
    """The new layers on the transferred ones: ``"dense10"`` is the softmax Dense(10) alone (trials 1 and 2);
    ``"dense<N>"`` puts Dense(N) (no activation, like the CNN's Dense(128)) before it (trial 3: ``"dense128"``)."""
    units = _check_head(head)
    stack = [layers.Dense(num_classes, activation="softmax", name=f"{HEAD_PREFIX}softmax")]
    if head != f"dense{num_classes}":
        stack.insert(0, layers.Dense(units, name=f"{HEAD_PREFIX}{head}"))
    return stack


def discriminator_to_classifier(discriminator: keras.Model, head: str = "dense10", freeze: bool = True) -> keras.Model:
    """Every discriminator layer but its real/fake Dense(1), with copied weights, then :func:`head_layers`. The
    transferred layers are frozen if ``freeze``."""
    _check_head(head)
    copy = keras.models.clone_model(discriminator)  # new layer objects ...
    copy.set_weights(discriminator.get_weights())  # ... holding the trained weights
    transferred = copy.layers[:-1]
    for layer in transferred:
        layer.trainable = not freeze
    return keras.Sequential(
        [keras.Input(shape=config.IMAGE_SHAPE), *transferred, *head_layers(head)], name=f"classifier_{head}"
    )


def set_transferred_trainable(model: keras.Model, trainable: bool) -> None:
    """Freeze (``False``) or unfreeze the layers that came from the discriminator; the head always trains."""
    for layer in model.layers:
        if not layer.name.startswith(HEAD_PREFIX):
            layer.trainable = trainable


def trainable_count(model: keras.Model) -> int:
    return int(sum(keras.ops.size(w) for w in model.trainable_weights))


def _check_schedule(frozen_epochs: int, total_epochs: int, names=("FROZEN_EPOCHS", "TOTAL_EPOCHS")) -> tuple[int, int]:
    """The schedule's epochs as ints: at least one in all, at most all of them frozen; errors name them ``names``."""
    total_epochs = checks.integer(names[1], total_epochs, 1)
    return checks.integer(names[0], frozen_epochs, 0, total_epochs), total_epochs


# The unfrozen phase's optimizers, by the names keras.optimizers.get takes (a notebook's FINE_TUNE_OPTIMIZER).
FINE_TUNE_OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "nadam", "adamax", "adagrad", "adadelta", "ftrl")


def fine_tuning_record(optimizer: str, learning_rate: float, first_learning_rate: float, fine_tuned: bool) -> dict:
    """What a trial's record adds about its unfrozen phase: nothing when there was none (``fine_tuned`` False) or it
    followed the original's recipe (SGD at the first phase's rate), else ``fine_tune_optimizer`` and
    ``fine_tune_learning_rate``."""
    if not fine_tuned or (optimizer, learning_rate) == ("sgd", first_learning_rate):
        return {}
    return {"fine_tune_optimizer": optimizer, "fine_tune_learning_rate": learning_rate}


def check_trial(head, frozen_epochs, total_epochs, learning_rate, optimizer, fine_tune_learning_rate, batch_size):
    """A trial notebook's parameters, each error naming its parameter, before anything is trained."""
    _check_head(head)
    _check_schedule(frozen_epochs, total_epochs)
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
    optimizer: str = "sgd",
    **fit_options,
) -> dict:
    """Notebooks 03-05's two phases with the original's recipe (one optimizer and rate for both), as one call for
    the studies that train many classifiers: the head with the transferred layers frozen for ``frozen_epochs``, then
    every layer to ``total_epochs``, each phase compiled with a fresh ``optimizer`` at ``learning_rate`` and fitted
    by :func:`digitgan.training.fit_classifier` with ``fit_options`` (``verbose``, ``callbacks``, ``validate``,
    ``steps_per_epoch``, ``seed``). Returns ``history`` (merged over both phases), ``phase_boundary`` (the last
    frozen epoch, or None), ``trainable_params`` per phase and ``seconds``."""
    frozen_epochs, total_epochs = _check_schedule(frozen_epochs, total_epochs, ("frozen_epochs", "total_epochs"))
    checked = {key: fit_options[key] for key in ("validate", "steps_per_epoch", "seed") if key in fit_options}
    _, batch_size = check_training(data, total_epochs, learning_rate, batch_size, optimizer, **checked)
    history, trainable, start = {}, [], time.perf_counter()
    for unfrozen, first, end in ((False, 0, frozen_epochs), (True, frozen_epochs, total_epochs)):
        if end <= first:
            continue
        set_transferred_trainable(model, unfrozen)
        compile_classifier(model, learning_rate, optimizer)
        trainable.append(trainable_count(model))
        part = fit_classifier(model, data, end, batch_size, first, **fit_options)
        for key, values in part.items():
            history.setdefault(key, []).extend(values)
    return {
        "history": history,
        "phase_boundary": frozen_epochs if 0 < frozen_epochs < total_epochs else None,
        "trainable_params": trainable,
        "seconds": time.perf_counter() - start,
    }


def unchanged(discriminator: keras.Model, path) -> bool:
    """Whether ``discriminator`` still holds exactly the weights saved in ``path`` (training a classifier built
    from it must not change it)."""
    from digitgan.gan import load_discriminator

    pairs = zip(load_discriminator(path).get_weights(), discriminator.get_weights(), strict=True)
    return all((a == b).all() for a, b in pairs)
