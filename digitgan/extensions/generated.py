"""Notebook 11's stored runs of the CNN trained on the conditional DCGAN's labelled digits: its arms and probes."""

import functools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, config, fileio
from digitgan.extensions import conditional, constants, protocols
from digitgan.models import build_cnn
from digitgan.store import STORE_FILE, Store, array_digest, weights_digest

_REAL_ARMS = ("real", "real + classical augmentation")  # trained on the real images alone
_PROBE_DEFAULTS = {"noise_scale": 1.0, "keep": 1.0, "label_smoothing": 0.0, "modern": False}
# in a probe's key only when given: a recipe of 10's; keep of AGREE_DRAW x n drawn those the real CNN reads as asked
_PROBE_EXTRAS = ("recipe", "agree_with_real")
AGREE_DRAW = 2
_MODERN = constants.MODERN_RECIPES[0]  # a probe's "modern": 10's first candidate (lr 0.001, 30 epochs), augmented


def cgan_name(mode_seeking: float) -> str:
    """The conditional DCGAN's state folder and export prefix."""
    return "conditional_dcgan" + (f"_ms{mode_seeking:g}" if mode_seeking else "")


def arm_tag(mode_seeking: float) -> str:
    """What names the generated digits in the arms' store keys."""
    return "cdcgan" + (f"-ms{mode_seeking:g}" if mode_seeking else "")


def within_class_spread(images: np.ndarray, labels: np.ndarray) -> float:
    """Each pixel's standard deviation over a digit's images, averaged over the pixels, then the digits."""
    return float(np.mean([images[labels == d].std(axis=0).mean() for d in np.unique(labels)]))


def arm_data(arm: str, real: dict, x_gen: np.ndarray, y_gen: np.ndarray) -> dict:
    """The training images of one arm (validation and test stay the real ones)."""
    checks.choice("arm", arm, constants.GENERATED_ARMS)
    if arm in _REAL_ARMS:
        return real
    n = {"10k": 10_000, "50k": 50_000, "60k": 60_000}[arm.split()[-2 if arm.startswith("real") else -1]]
    if n > len(x_gen):
        raise ValueError(f"arm {arm!r} needs {n:,} generated digits, {len(x_gen):,} were drawn")
    if arm.startswith("generated"):
        return {**real, "x_train": x_gen[:n], "y_train": y_gen[:n]}
    x, y = np.concatenate([real["x_train"], x_gen[:n]]), np.concatenate([real["y_train"], y_gen[:n]])
    return {**real, "x_train": x, "y_train": y}


def arm_study(arm, real, x_gen, y_gen, folder, generator_tag="cdcgan") -> protocols.Study:
    """The stored CNN runs of one arm: its training images, and its tag and digits in their store keys."""
    data = arm_data(arm, real, x_gen, y_gen)
    if arm in _REAL_ARMS:
        return protocols.Study(len(data["x_train"]), folder, data=data)
    digits = {"digits": array_digest(x_gen, y_gen)}
    return protocols.Study(len(data["x_train"]), folder, tag=f"{generator_tag}: {arm}", data=data, inputs=digits)


def real_learning_rate(real, folder, rates=constants.GENERATED_LEARNING_RATES, epochs=config.TRANSFER_EPOCHS) -> float:
    """The CNN's Adam learning rate chosen on the real validation split for the real-only arm (every arm's)."""
    study = protocols.Study(len(real["x_train"]), folder, data=real)
    return protocols.choose_learning_rate(study, "cnn", "adam", rates, epochs)[0]


def mode_seeking_probe(real, folder, weight, learning_rate, epochs, cnn_epochs, seed=config.SEED) -> dict:
    """A conditional DCGAN with mode-seeking ``weight``; the CNN on as many of its digits as real ones (validation)."""
    store, n = Store(Path(folder) / STORE_FILE), len(real["x_train"])
    inputs = {"part": "mode-seeking probe", "mode_seeking": weight, "gan_epochs": epochs, "seed": seed}
    inputs |= {"n_generated": n, "learning_rate": learning_rate, "cnn_epochs": cnn_epochs, "n_train": n}
    inputs["n_val"] = len(real["x_val"])
    result = store.get(inputs)
    if result is None:
        args = (real["x_train"], real["y_train"], epochs, Path(folder) / ("probe_" + cgan_name(weight)), seed)
        model, history = conditional.train_conditional(*args, mode_seeking=weight)
        x_gen, y_gen = conditional.generate_labelled(model.generator, n, seed=0)
        data = {**real, "x_train": x_gen, "y_train": y_gen}
        run = protocols.train_run("cnn", data, "adam", learning_rate, cnn_epochs, seed, test=False)
        spread = within_class_spread(x_gen, y_gen)
        result = {"mode_seeking": weight, "gan_epochs": epochs, "within_class_spread": spread}
        result |= {"val_accuracy": run["val_accuracy"], "gan_seconds": float(sum(history["epoch_seconds"]))}
        result = store.put(inputs, {**result, "cnn_seconds": run["seconds"]})
        print(f"mode seeking {weight:g}: spread {spread:.3f}, validation {run['val_accuracy']:.4f}", flush=True)
    return result


def _settings(probe: dict) -> dict:  # a probe's key's part
    return {**_PROBE_DEFAULTS, **{k: v for k, v in probe.items() if k != "name"}}


def probe_training(probe: dict, learning_rate: float, cnn_epochs: int) -> tuple[float, int, bool, dict]:
    """``(learning rate, epochs, augment, recipe)`` of the CNN a probe trains (``protocols.train_run``)."""
    settings = _settings(probe)
    if "recipe" in settings:
        recipe = protocols.recipe_settings(settings["recipe"])
        return recipe.pop("learning_rate"), recipe.pop("epochs"), True, recipe
    lr, epochs = (_MODERN["learning_rate"], _MODERN["epochs"]) if settings["modern"] else (learning_rate, cnn_epochs)
    return lr, epochs, bool(settings["modern"]), {"label_smoothing": settings["label_smoothing"]}


def _real_agreement(real, x, y, learning_rate, epochs, seed=config.SEED) -> np.ndarray:
    """Whether the CNN trained on the real images (as the real arm) reads each generated digit ``x`` as its ``y``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "real_cnn.weights.h5"
        protocols.train_run("cnn", real, "adam", learning_rate, epochs, seed, test=False, weights_path=path)
        model = fileio.load_weights(build_cnn(), path, "(a temporary file)")
    return np.argmax(model.predict(x, batch_size=1000, verbose=0), axis=1) == y


def _best_per_digit(score: np.ndarray, labels: np.ndarray, n: int, seed: int = config.SEED) -> np.ndarray:
    """Indices of the ``n // 10`` highest-scoring images of each digit, shuffled by ``seed``."""
    ranked = [np.flatnonzero(labels == d)[np.argsort(-score[labels == d], kind="stable")] for d in range(10)]
    return np.random.default_rng(seed).permutation(np.concatenate([r[: n // 10] for r in ranked]))


def probe_samples(real, generator, folder, learning_rate, probes, discriminator, tag, n, cnn_epochs, seed=config.SEED):
    """Each way to draw or train on generated digits scored by the CNN trained on ``n`` of them, a row per probe."""
    checked, allowed = [], ["name", *_PROBE_DEFAULTS, *_PROBE_EXTRAS]
    for i, probe in enumerate(probes):  # every probe checked before any trains
        if set(probe) - set(allowed) or "name" not in probe:
            raise ValueError(f"probe {i} needs a name and only {allowed[1:]}, got {probe!r}")
        settings, name = _settings(probe), probe["name"]
        if settings.get("agree_with_real") and settings["keep"] < 1:
            raise ValueError(f"probe {name!r}: keep below 1 or agree_with_real, not both")
        if "recipe" in settings:
            if settings["modern"] or settings["label_smoothing"]:
                raise ValueError(f"probe {name!r} gives a recipe: set label_smoothing in it, modern not at all")
            protocols.recipe_settings(settings["recipe"], f"probe {i} recipe")
        checks.fraction(f"probe {i} keep", settings["keep"], 0.01, 1.0 + 1e-9)
        checks.positive_float(f"probe {i} noise_scale", settings["noise_scale"])
        checked.append((name, settings))
    store, rows = Store(Path(folder) / STORE_FILE), []
    drawn_by = {"part": "sample probe", "generator": tag, "generator_weights": weights_digest(generator)}
    for name, settings in checked:
        keep, agree = settings["keep"], settings.get("agree_with_real")
        inputs = {**drawn_by, "probe": settings, "n": n, "seed": seed, "learning_rate": learning_rate}
        inputs |= {"cnn_epochs": cnn_epochs, "n_train": len(real["x_train"]), "n_val": len(real["x_val"])}
        result = store.get(inputs)
        if result is None:
            if keep < 1 and discriminator is None:
                fix = "the conditional DCGAN's training state (its discriminator) is absent: train it again, or drop it"
                raise ValueError(f"probe {name!r} keeps the discriminator's best digits, but {fix}")
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
            lr, epochs, augment, recipe = probe_training(settings, learning_rate, cnn_epochs)
            run = protocols.train_run("cnn", data, "adam", lr, epochs, seed, augment=augment, test=False, **recipe)
            scores = {k: run[k] for k in ("val_accuracy", "kept_epoch", "seconds")}
            result = store.put(inputs, {**settings, **extra, **scores})
            print(f"{name}: validation {run['val_accuracy']:.4f} (train on generated)", flush=True)
        unset = {"recipe": None, "agree_with_real": False, "agreement": None, "agreement_worst_digit": None}
        rows.append({"probe": name, **unset, **result})
    measured = ["agreement", "agreement_worst_digit", "val_accuracy", "kept_epoch", "seconds"]
    return pd.DataFrame(rows, columns=["probe", *_PROBE_DEFAULTS, *_PROBE_EXTRAS, *measured])


def probe_arms(real, generator, probe, sizes, folder, learning_rate, cnn_epochs, tag="cdcgan") -> dict:
    """``{arm: study}``: the arms of ``sizes`` digits drawn once as ``probe`` says, only when a run is missing."""
    settings = _settings(probe)
    drawn_by = {"generator_weights": weights_digest(generator), "probe": settings, "sizes": list(sizes)}
    agree = settings.get("agree_with_real")

    @functools.cache
    def drawn() -> tuple:  # the largest arm's digits and, when the probe filters, whether the real CNN agrees
        n = max(sizes) * (AGREE_DRAW if agree else 1)
        x, y = conditional.generate_labelled(generator, n, seed=0, noise_scale=settings["noise_scale"])
        return x, y, _real_agreement(real, x, y, learning_rate, cnn_epochs, config.SEED) if agree else None

    class Arm(protocols.Study):
        @functools.cached_property
        def data(self) -> dict:  # drawn only when one of the arm's runs trains or is tested
            (x, y, agrees), n = drawn(), self.n_train
            chosen = np.arange(n) if agrees is None else _best_per_digit(agrees.astype(float), y, n)
            return {**real, "x_train": x[chosen], "y_train": y[chosen].astype(np.int64)}

    names = {n: f"generated {f'{n // 1000}k' if n % 1000 == 0 else f'{n:,}'} ({probe['name']})" for n in sizes}
    return {arm: Arm(n, folder, tag=f"{tag}: {arm}", inputs=drawn_by) for n, arm in names.items()}
