"""The discriminator as a 10-way classifier: weight copying, heads, and freeze-then-unfreeze training.

Follows the keras.io guide "Transfer learning & fine-tuning": the classifier gets a *copy* of the
discriminator's layers and weights (never the layer objects themselves, so training it cannot change
the discriminator), the transferred layers are frozen while the new head learns, then everything is
unfrozen and the model recompiled with a fresh optimizer (a change of ``trainable`` takes effect only
on compile, and Keras 3 refuses to reuse an optimizer across compiles).
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
from keras import layers

from digitgan import checks, config
from digitgan.training import check_training, compile_classifier, fit_unchecked

HEADS = ("dense10", "dense128")
HEAD_PREFIX = "head_"


def discriminator_to_classifier(
    discriminator: keras.Model, head: str = "dense10", freeze: bool = True, num_classes: int = config.NUM_CLASSES
) -> keras.Model:
    """Every discriminator layer but the final Dense(1), with copied weights, plus a softmax head.

    ``head="dense10"``: Dense(10, softmax) (trials 1 and 2); ``head="dense128"``: Dense(128) ->
    Dense(10, softmax) (trial 3; no activation on Dense(128), like the CNN). The transferred layers
    are frozen if ``freeze``.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    copy = keras.models.clone_model(discriminator)  # new layer objects ...
    copy.set_weights(discriminator.get_weights())  # ... holding the trained weights
    transferred = copy.layers[:-1]
    for layer in transferred:
        layer.trainable = not freeze
    head_layers = [layers.Dense(num_classes, activation="softmax", name=f"{HEAD_PREFIX}softmax")]
    if head == "dense128":
        head_layers.insert(0, layers.Dense(128, name=f"{HEAD_PREFIX}dense128"))
    return keras.Sequential(
        [keras.Input(shape=config.IMAGE_SHAPE), *transferred, *head_layers], name=f"classifier_{head}"
    )


def transferred_layers(model: keras.Model) -> list:
    """The layers that came from the discriminator (everything but the head)."""
    return [layer for layer in model.layers if not layer.name.startswith(HEAD_PREFIX)]


def set_transferred_trainable(model: keras.Model, trainable: bool) -> None:
    for layer in transferred_layers(model):
        layer.trainable = trainable


def trainable_count(model: keras.Model) -> int:
    return int(sum(keras.ops.size(w) for w in model.trainable_weights))


def train_schedule(
    model: keras.Model,
    data: dict,
    frozen_epochs: int,
    total_epochs: int = config.TRANSFER_EPOCHS,
    learning_rate: float = config.SGD_LEARNING_RATE,
    batch_size: int = config.BATCH_SIZE,
    optimizer: str = "sgd",
    verbose: int = 2,
    callbacks=None,
    validate: bool | str = True,
    log_dir: Path | None = None,
    steps_per_epoch: int | None = None,
    seed: int = config.SEED,
) -> dict:
    """Train the head with the transferred layers frozen for ``frozen_epochs``, then everything to ``total_epochs``.

    Each phase is compiled with a fresh optimizer. Returns ``history`` (one merged dict over all epochs),
    ``phase_boundary`` (the last frozen epoch, or None), ``trainable_params`` per phase and ``seconds``.
    With ``log_dir``, TensorBoard logs of both phases go there (:mod:`digitgan.training`). ``validate``,
    ``steps_per_epoch`` and ``seed``: as in :func:`digitgan.training.fit_classifier`.
    """
    frozen_epochs, total_epochs = check_schedule(frozen_epochs, total_epochs)
    _, batch_size = check_training(
        data, total_epochs, learning_rate, batch_size, optimizer, validate, steps_per_epoch, seed
    )
    return _schedule(
        model, data, frozen_epochs, total_epochs, learning_rate, batch_size, optimizer, verbose, callbacks, validate,
        log_dir, steps_per_epoch, seed,
    )  # fmt: skip


def check_schedule(frozen_epochs: int, total_epochs: int) -> tuple[int, int]:
    """The schedule's epochs as ints: at least one in all, at most all of them frozen. The rest of what
    :func:`train_schedule` reads is checked by :func:`digitgan.training.check_training`."""
    total_epochs = checks.integer("total_epochs", total_epochs, 1)
    return checks.integer("frozen_epochs", frozen_epochs, 0, total_epochs), total_epochs


def _schedule(
    model, data, frozen_epochs, total_epochs, learning_rate, batch_size, optimizer, verbose, callbacks, validate,
    log_dir, steps_per_epoch, seed,
) -> dict:  # fmt: skip
    """:func:`train_schedule` on checked arguments."""
    phases = [(False, frozen_epochs), (True, total_epochs)]
    phases = [(unfrozen, end) for (unfrozen, end), start in zip(phases, (0, frozen_epochs), strict=True) if end > start]
    if log_dir:
        from digitgan.training import classifier_callback

        callbacks = [*(callbacks or []), classifier_callback(log_dir)]
    history, trainable, start_epoch = {}, [], 0
    start = time.perf_counter()
    for unfrozen, end in phases:
        set_transferred_trainable(model, unfrozen)
        compile_classifier(model, learning_rate, optimizer)  # a fresh optimizer on every compile
        trainable.append(trainable_count(model))
        if verbose:
            print(
                f"epochs {start_epoch + 1}-{end}: transferred layers {'unfrozen' if unfrozen else 'frozen'}, "
                f"{trainable[-1]:,} trainable parameters"
            )
        part = fit_unchecked(
            model, data, end, batch_size, start_epoch, verbose, callbacks, validate, steps_per_epoch, seed
        )
        for key, values in part.items():
            history.setdefault(key, []).extend(values)
        start_epoch = end
    return {
        "history": history,
        "phase_boundary": frozen_epochs if 0 < frozen_epochs < total_epochs else None,
        "trainable_params": trainable,
        "seconds": time.perf_counter() - start,
    }


def train_trial(
    name: str,
    discriminator: keras.Model,
    data: dict,
    head: str,
    frozen_epochs: int,
    total_epochs: int = config.TRANSFER_EPOCHS,
    learning_rate: float = config.SGD_LEARNING_RATE,
    batch_size: int = config.BATCH_SIZE,
    seed: int = config.SEED,
    log_dir: Path | None = None,
    verbose: int = 2,
) -> dict:
    """One transfer trial (notebooks 03-05): the discriminator as a classifier with ``head``, trained by
    :func:`train_schedule`, then evaluated on the test set.

    Returns ``model``, ``schedule`` (see :func:`train_schedule`), ``y_pred`` and ``probs`` for the test set,
    and ``metrics`` (what results.json records under ``name``, with the original's numbers beside ours).
    """
    from digitgan import config
    from digitgan.training import predict_labels, summarize
    from digitgan.utils import set_seed

    checks.choice("head", head, HEADS)
    frozen_epochs, total_epochs = check_schedule(frozen_epochs, total_epochs)
    _, batch_size = check_training(data, total_epochs, learning_rate, batch_size, seed=seed)  # x_test too

    set_seed(seed)
    model = discriminator_to_classifier(discriminator, head=head, freeze=True)
    schedule = _schedule(
        model, data, frozen_epochs, total_epochs, learning_rate, batch_size, "sgd", verbose, None, True, log_dir,
        None, seed,
    )  # fmt: skip
    y_pred, probs = predict_labels(model, data["x_test"])
    metrics = summarize(
        schedule["history"], data["y_test"], y_pred, len(data["x_train"]), schedule["seconds"],
        head=head, frozen_epochs=frozen_epochs, phase_boundary=schedule["phase_boundary"],
        trainable_params=schedule["trainable_params"], learning_rate=learning_rate,
        original=config.ORIGINAL_ACCURACY.get(name),
    )  # fmt: skip
    print(
        f"trained in {schedule['seconds']:.1f} s (trainable parameters per phase: {schedule['trainable_params']}); "
        f"train accuracy {metrics['train_accuracy']:.4f}, test accuracy {metrics['test_accuracy']:.4f}"
    )
    return {"model": model, "schedule": schedule, "y_pred": y_pred, "probs": probs, "metrics": metrics}


def unchanged(discriminator: keras.Model, path: Path) -> bool:
    """Whether ``discriminator`` still holds exactly the weights saved in ``path`` (training a classifier built
    from it must not change it)."""
    from digitgan.gan import load_discriminator

    pairs = zip(load_discriminator(path).get_weights(), discriminator.get_weights(), strict=True)
    return all((a == b).all() for a, b in pairs)
