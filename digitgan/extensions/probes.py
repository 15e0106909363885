"""Notebook 11's probes (:mod:`.generated`), each scored on the real validation split by the CNN trained on generated
digits: the conditional DCGAN's mode-seeking weight, then ways to draw or train on its digits."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, config, fileio
from digitgan.extensions import conditional, constants, protocols
from digitgan.models import build_cnn
from digitgan.store import STORE_FILE, Store, weights_digest

PROBE_DEFAULTS = {"noise_scale": 1.0, "keep": 1.0, "label_smoothing": 0.0, "modern": False}
# Probe settings that enter a probe's key only when given: ``recipe`` (one of 10's modern recipes), ``agree_with_real``
# (keep, of AGREE_DRAW x n drawn, each digit's first n / 10 that a CNN trained on the real labelled images reads as the
# digit asked for: a label-consistency filter).
PROBE_EXTRAS = ("recipe", "agree_with_real")
AGREE_DRAW = 2
MODERN_RECIPE = constants.MODERN_RECIPES[0]  # a probe's "modern": 10's first candidate (lr 0.001, 30 epochs), augmented


def cgan_name(mode_seeking: float) -> str:
    """The conditional DCGAN's state folder and export prefix (the plain model's without a suffix)."""
    return "conditional_dcgan" + (f"_ms{mode_seeking:g}" if mode_seeking else "")


def within_class_spread(images: np.ndarray, labels: np.ndarray) -> float:
    """How much the images of one digit differ: each pixel's standard deviation over a digit's images, averaged over
    the pixels, then the digits (the real 10k: about 0.31; one style per digit, mode collapse, far lower)."""
    return float(np.mean([images[labels == d].std(axis=0).mean() for d in np.unique(labels)]))


def choose_mode_seeking(
    real: dict,
    folder: Path,
    learning_rate: float,
    weights=constants.MODE_SEEKING_WEIGHTS,
    epochs: int = constants.MODE_SEEKING_PROBE_EPOCHS,
    cnn_epochs: int = config.TRANSFER_EPOCHS,
    n_generated: int = config.SUBSET_SIZE,
    seed: int = config.SEED,
) -> tuple[float, pd.DataFrame]:
    """The mode-seeking weight whose conditional DCGAN gives the CNN trained on its digits the best real validation
    accuracy (ties: the first), and a row per weight; each probe's GAN resumable, each probe stored."""
    store, rows = Store(Path(folder) / STORE_FILE), []
    for weight in weights:
        inputs = {"part": "mode-seeking probe", "mode_seeking": weight, "gan_epochs": epochs, "seed": seed}
        inputs |= {"n_generated": n_generated, "learning_rate": learning_rate, "cnn_epochs": cnn_epochs}
        inputs |= {"n_train": len(real["x_train"]), "n_val": len(real["x_val"])}
        result = store.get(inputs)
        if result is None:
            state = Path(folder) / ("probe_" + cgan_name(weight))
            model, history = conditional.train_conditional(
                real["x_train"], real["y_train"], epochs, state, seed, mode_seeking=weight
            )
            x_gen, y_gen = conditional.generate_labelled(model.generator, n_generated, seed=0)
            data = {**real, "x_train": x_gen, "y_train": y_gen}
            run = protocols.train_run("cnn", data, "adam", learning_rate, cnn_epochs, seed, test=False)
            spread = within_class_spread(x_gen, y_gen)
            result = {"mode_seeking": weight, "gan_epochs": epochs, "within_class_spread": spread}
            result |= {"val_accuracy": run["val_accuracy"], "gan_seconds": float(sum(history["epoch_seconds"]))}
            result["cnn_seconds"] = run["seconds"]
            store.put(inputs, result)
            print(f"mode seeking {weight:g}: spread {spread:.3f}, validation {run['val_accuracy']:.4f}", flush=True)
        rows.append(result)
    columns = ["mode_seeking", "gan_epochs", "within_class_spread", "val_accuracy", "gan_seconds", "cnn_seconds"]
    table = pd.DataFrame(rows)[columns]
    return float(table.loc[table["val_accuracy"].idxmax(), "mode_seeking"]), table


def _probe_settings(probe: dict) -> dict:
    """A probe's settings: ``PROBE_DEFAULTS`` filled in, ``PROBE_EXTRAS`` only where given (its cache key's part)."""
    return {**PROBE_DEFAULTS, **{k: v for k, v in probe.items() if k != "name"}}


def _probe_training(settings: dict, learning_rate: float, cnn_epochs: int) -> tuple[float, int, bool, dict]:
    """``(learning rate, epochs, augment, recipe)`` of the CNN a probe's settings train (``protocols.train_run``)."""
    if "recipe" in settings:
        recipe = protocols.recipe_settings(settings["recipe"])
        return recipe.pop("learning_rate"), recipe.pop("epochs"), True, recipe
    smoothing = {"label_smoothing": settings["label_smoothing"]}
    if settings["modern"]:
        return MODERN_RECIPE["learning_rate"], MODERN_RECIPE["epochs"], True, smoothing
    return learning_rate, cnn_epochs, False, smoothing


def _checked_probes(probes) -> list[tuple[str, dict]]:
    """``(name, settings)`` of every probe, each checked (before any trains)."""
    checked = []
    for i, probe in enumerate(probes):
        if set(probe) - {"name", *PROBE_DEFAULTS, *PROBE_EXTRAS} or "name" not in probe:
            raise ValueError(f"probe {i} needs a name and only {[*PROBE_DEFAULTS, *PROBE_EXTRAS]}, got {probe!r}")
        settings, name = _probe_settings(probe), probe["name"]
        if settings.get("agree_with_real") and settings["keep"] < 1:
            raise ValueError(f"probe {name!r}: keep below 1 or agree_with_real, not both")
        if "recipe" in settings:
            if settings["modern"] or settings["label_smoothing"]:
                raise ValueError(f"probe {name!r} gives a recipe: set label_smoothing in it, modern not at all")
            protocols.recipe_settings(settings["recipe"], f"probe {i} recipe")
        checks.fraction(f"probe {i} keep", settings["keep"], 0.01, 1.0 + 1e-9)
        checks.positive_float(f"probe {i} noise_scale", settings["noise_scale"])
        checked.append((name, settings))
    return checked


def _real_agreement(real, x, y, learning_rate, epochs, seed=config.SEED) -> np.ndarray:
    """Whether the CNN trained on the real images (as the real arm) reads each generated digit ``x`` as its ``y``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "real_cnn.weights.h5"
        protocols.train_run("cnn", real, "adam", learning_rate, epochs, seed, test=False, weights_path=path)
        model = build_cnn()
        fileio.load_weights(model, path, "(a temporary file)")
    return np.argmax(model.predict(x, batch_size=1000, verbose=0), axis=1) == y


def _best_per_digit(score: np.ndarray, labels: np.ndarray, n: int, seed: int = config.SEED) -> np.ndarray:
    """Indices of the ``n // 10`` highest-scoring images of each digit, shuffled by ``seed``."""
    chosen = [
        np.flatnonzero(labels == d)[np.argsort(-score[labels == d], kind="stable")[: n // config.NUM_CLASSES]]
        for d in range(config.NUM_CLASSES)
    ]
    return np.random.default_rng(seed).permutation(np.concatenate(chosen))


def probe_samples(
    real: dict,
    generator,
    folder: Path,
    learning_rate: float,
    probes=constants.GENERATED_PROBES,
    discriminator=None,
    tag: str = "cdcgan",
    n: int = config.SUBSET_SIZE,
    cnn_epochs: int = config.TRANSFER_EPOCHS,
    seed: int = config.SEED,
) -> pd.DataFrame:
    """Each way to draw or train on generated digits (``constants.GENERATED_PROBES``) scored on the real validation
    split by the CNN trained on ``n`` of them, one row per probe; all checked before any trains, each stored."""
    store, checked, rows = Store(Path(folder) / STORE_FILE), _checked_probes(probes), []
    drawn_by = {"part": "sample probe", "generator": tag, "generator_weights": weights_digest(generator)}
    for name, settings in checked:
        keep, agree = settings["keep"], settings.get("agree_with_real")
        inputs = {**drawn_by, "probe": settings, "n": n, "seed": seed, "learning_rate": learning_rate}
        inputs |= {"cnn_epochs": cnn_epochs, "n_train": len(real["x_train"]), "n_val": len(real["x_val"])}
        result = store.get(inputs)
        if result is None:
            if keep < 1 and discriminator is None:
                raise ValueError(
                    f"probe {name!r} keeps the discriminator's best digits, but the conditional DCGAN's training "
                    "state (its discriminator) is absent: train it again, or drop the probe"
                )
            drawn = round(n * AGREE_DRAW) if agree else round(n / keep)
            x, y = conditional.generate_labelled(generator, drawn, seed=0, noise_scale=settings["noise_scale"])
            chosen, extra = slice(None), {}
            if keep < 1:
                chosen = _best_per_digit(conditional.discriminator_logits(discriminator, x, y), y, n, seed)
            elif agree:
                agrees = _real_agreement(real, x, y, learning_rate, cnn_epochs, seed)
                worst = min(agrees[y == d].mean() for d in range(config.NUM_CLASSES))
                extra = {"agreement": float(agrees.mean()), "agreement_worst_digit": float(worst)}
                chosen = _best_per_digit(agrees.astype(float), y, n, seed)  # the agreeing ones first, in drawn order
            data = {**real, "x_train": x[chosen], "y_train": y[chosen].astype(np.int64)}
            lr, epochs, augment, recipe = _probe_training(settings, learning_rate, cnn_epochs)
            run = protocols.train_run("cnn", data, "adam", lr, epochs, seed, augment=augment, test=False, **recipe)
            scores = {k: run[k] for k in ("val_accuracy", "kept_epoch", "seconds")}
            result = store.put(inputs, {**settings, **extra, **scores})
            print(f"{name}: validation {run['val_accuracy']:.4f} (train on generated)", flush=True)
        unset = {"recipe": None, "agree_with_real": False, "agreement": None, "agreement_worst_digit": None}
        rows.append({"probe": name, **unset, **result})
    measured = ["agreement", "agreement_worst_digit", "val_accuracy", "kept_epoch", "seconds"]
    return pd.DataFrame(rows, columns=["probe", *PROBE_DEFAULTS, *PROBE_EXTRAS, *measured])


def run_best_probe_arms(
    real: dict,
    generator,
    samples: pd.DataFrame,
    probes,
    learning_rate: float,
    cnn_epochs: int = config.TRANSFER_EPOCHS,
    sizes=constants.GENERATED_BEST_PROBE_SIZES,
    seeds=constants.LABEL_SEEDS,
    folder: Path = protocols.PROTOCOLS_DIR,
    generator_tag: str = "cdcgan",
) -> pd.DataFrame:
    """The train-on-generated arms again (``sizes`` digits) as the best usable sample probe (one needing no
    discriminator), a larger arm for fewer epochs (as many updates); one row per run."""
    by_name = {p["name"]: _probe_settings(p) for p in probes}
    usable = samples[[by_name[name]["keep"] >= 1 for name in samples["probe"]]]
    if usable.empty:
        raise ValueError("every probe keeps the discriminator's best digits: add one that does not, e.g. 'as drawn'")
    best = usable.loc[usable["val_accuracy"].idxmax(), "probe"]
    settings = by_name[best]
    lr, epochs, augment, recipe = _probe_training(settings, learning_rate, cnn_epochs)
    agree, drawn = settings.get("agree_with_real"), None
    drawn_by = {"generator_weights": weights_digest(generator), "probe": settings, "sizes": list(sizes)}
    rows = []
    for n in sizes:
        arm = f"generated {f'{n // 1000}k' if n % 1000 == 0 else f'{n:,}'} ({best})"
        study = protocols.Study(n, folder, tag=f"{generator_tag}: {arm}", data={}, inputs=drawn_by)
        n_epochs = max(1, round(epochs * len(real["x_train"]) / n))
        stored = [study.store.get(study.inputs("cnn", "adam", lr, n_epochs, s, augment, **recipe)) for s in seeds]
        if not all(r and "test_accuracy" in r for r in stored):
            if drawn is None:  # drawn (and filtered) once, for the largest arm; only when a run is missing
                n_drawn = max(sizes) * (AGREE_DRAW if agree else 1)
                x, y = conditional.generate_labelled(generator, n_drawn, seed=0, noise_scale=settings["noise_scale"])
                order = _real_agreement(real, x, y, learning_rate, cnn_epochs).astype(float) if agree else None
                drawn = x, y, order
            x, y, order = drawn
            chosen = _best_per_digit(order, y, n) if agree else np.arange(n)
            data = {**real, "x_train": x[chosen], "y_train": y[chosen].astype(np.int64)}
            study = protocols.Study(n, folder, tag=study.tag, data=data, inputs=drawn_by)
        rows += [{**study.run("cnn", "adam", lr, n_epochs, s, augment=augment, **recipe), "arm": arm} for s in seeds]
    return pd.DataFrame(rows)
