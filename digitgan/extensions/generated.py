"""Notebook 11: do the conditional DCGAN's labelled digits help the CNN, and how does it do trained on them alone? Every
arm trains the CNN alike, scored on the real test set; the probes are scored on the real validation split."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, config, fileio, training, utils
from digitgan.extensions import conditional, constants, protocols
from digitgan.models import build_cnn
from digitgan.store import STORE_FILE, Store, array_digest, weights_digest

ARMS = constants.GENERATED_ARMS
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


def judge_per_class(judge, images: np.ndarray, labels: np.ndarray) -> dict:
    """How often the judge reads a generated digit as the one asked for: ``{"overall", "0", ..., "9"}``."""
    predicted, _ = training.predict_labels(judge, images)
    per = {str(d): float(np.mean(predicted[labels == d] == d)) if (labels == d).any() else None for d in range(10)}
    return {"overall": float(np.mean(predicted == labels)), **per}


def arm_data(arm: str, real: dict, x_gen: np.ndarray, y_gen: np.ndarray) -> dict:
    """The training images of one arm (validation and test stay the real ones)."""
    checks.choice("arm", arm, ARMS)
    if arm in _REAL_ARMS:
        return real
    n = {"10k": 10_000, "50k": 50_000, "60k": 60_000}[arm.split()[-2 if arm.startswith("real") else -1]]
    if n > len(x_gen):
        raise ValueError(f"arm {arm!r} needs {n:,} generated digits, {len(x_gen):,} were drawn")
    if arm.startswith("generated"):
        return {**real, "x_train": x_gen[:n], "y_train": y_gen[:n]}
    x, y = np.concatenate([real["x_train"], x_gen[:n]]), np.concatenate([real["y_train"], y_gen[:n]])
    return {**real, "x_train": x, "y_train": y}


def real_learning_rate(real, folder, rates=constants.GENERATED_LEARNING_RATES, epochs=config.TRANSFER_EPOCHS) -> float:
    """The CNN's Adam learning rate chosen on the real validation split for the real-only arm (every arm's)."""
    study = protocols.Study(len(real["x_train"]), folder, data=real)
    return protocols.choose_learning_rate(study, "cnn", "adam", rates, epochs)[0]


def same_recipe_on_real(recipe: dict, seeds, folder: Path, n_train: int) -> dict:
    """The CNN with ``recipe`` on the real ``n_train`` images, a run per seed (10's stored runs), summarised."""
    study, settings = protocols.Study(n_train, folder), protocols.recipe_settings(recipe)
    runs = pd.DataFrame([study.run("cnn", "adam", seed=s, augment=True, **settings) for s in seeds])
    summary = protocols.seed_summary(runs)
    return {"recipe": dict(recipe), **{k: summary[k] for k in ("mean", "runs", "by_seed", "std")}}


def run_arms(real, x_gen, y_gen, arms, seeds, epochs, rates, folder, generator_tag="cdcgan"):
    """``(runs, learning rate)``: every arm with every seed, the rate chosen for the real-only arm."""
    rate, digits, rows = real_learning_rate(real, folder, rates, epochs), {"digits": array_digest(x_gen, y_gen)}, []
    for arm in arms:
        data, real_only = arm_data(arm, real, x_gen, y_gen), arm in _REAL_ARMS
        tag, inputs = ("real", None) if real_only else (f"{generator_tag}: {arm}", digits)
        study = protocols.Study(len(data["x_train"]), folder, tag=tag, data=data, inputs=inputs)
        augment = arm == "real + classical augmentation"
        rows += [{**study.run("cnn", "adam", rate, epochs, seed, augment=augment), "arm": arm} for seed in seeds]
    return pd.DataFrame(rows), rate


def arm_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per arm: mean, std (ddof 1), runs, in ``ARMS`` order (any other arm after them)."""
    table = utils.seed_stats(runs.groupby("arm", sort=False)["test_accuracy"])
    return table.reindex([a for a in ARMS if a in table.index] + [a for a in table.index if a not in ARMS])


def to_results(scores, per_digit, runs, rate, history, spread, mode_seeking=0.0, probes=None, sample_probes=None):
    """What results.json records under ``future_work`` -> ``generated_digits``."""
    arms = {}
    for arm, part in runs.groupby("arm", sort=False):
        arms[arm] = {**protocols.seed_summary(part), "n_train": int(part["n_train"].iloc[0])}
    out = {"classifier_score": scores["classifier_score"], "frechet_distance": scores.get("frechet_distance")}
    out |= {"class_fractions": scores["class_fractions"], "judge_accuracy_on_generated": per_digit}
    out |= {"within_class_spread": spread, "mode_seeking": float(mode_seeking)}
    out["mode_seeking_probes"] = [] if probes is None else probes.to_dict("records")
    out["sample_probes"] = [] if sample_probes is None else sample_probes.to_dict("records")
    out |= {"learning_rate": rate, "arms": arms, "gan_epochs": len(history["epoch_seconds"])}
    return {**out, "gan_seconds": float(sum(history["epoch_seconds"]))}


def choose_mode_seeking(real, folder, learning_rate, weights, epochs, cnn_epochs, n_generated, seed=config.SEED):
    """The mode-seeking weight best for the CNN trained on its digits (ties: the first), and a row per weight."""
    store, rows = Store(Path(folder) / STORE_FILE), []
    for weight in weights:
        inputs = {"part": "mode-seeking probe", "mode_seeking": weight, "gan_epochs": epochs, "seed": seed}
        inputs |= {"n_generated": n_generated, "learning_rate": learning_rate, "cnn_epochs": cnn_epochs}
        inputs |= {"n_train": len(real["x_train"]), "n_val": len(real["x_val"])}
        result = store.get(inputs)
        if result is None:
            state = Path(folder) / ("probe_" + cgan_name(weight))
            args = (real["x_train"], real["y_train"], epochs, state, seed)
            model, history = conditional.train_conditional(*args, mode_seeking=weight)
            x_gen, y_gen = conditional.generate_labelled(model.generator, n_generated, seed=0)
            data = {**real, "x_train": x_gen, "y_train": y_gen}
            run = protocols.train_run("cnn", data, "adam", learning_rate, cnn_epochs, seed, test=False)
            spread = within_class_spread(x_gen, y_gen)
            result = {"mode_seeking": weight, "gan_epochs": epochs, "within_class_spread": spread}
            result |= {"val_accuracy": run["val_accuracy"], "gan_seconds": float(sum(history["epoch_seconds"]))}
            result = store.put(inputs, {**result, "cnn_seconds": run["seconds"]})
            print(f"mode seeking {weight:g}: spread {spread:.3f}, validation {run['val_accuracy']:.4f}", flush=True)
        rows.append(result)
    columns = ["mode_seeking", "gan_epochs", "within_class_spread", "val_accuracy", "gan_seconds", "cnn_seconds"]
    table = pd.DataFrame(rows)[columns]
    return float(table.loc[table["val_accuracy"].idxmax(), "mode_seeking"]), table


def _probe_settings(probe: dict) -> dict:
    """A probe's settings (its key's part): ``_PROBE_DEFAULTS`` filled in."""
    return {**_PROBE_DEFAULTS, **{k: v for k, v in probe.items() if k != "name"}}


def _probe_training(settings: dict, learning_rate: float, cnn_epochs: int) -> tuple[float, int, bool, dict]:
    """``(learning rate, epochs, augment, recipe)`` of the CNN a probe's settings train (``protocols.train_run``)."""
    if "recipe" in settings:
        recipe = protocols.recipe_settings(settings["recipe"])
        return recipe.pop("learning_rate"), recipe.pop("epochs"), True, recipe
    smoothing = {"label_smoothing": settings["label_smoothing"]}
    if settings["modern"]:
        return _MODERN["learning_rate"], _MODERN["epochs"], True, smoothing
    return learning_rate, cnn_epochs, False, smoothing


def _checked_probes(probes) -> list[tuple[str, dict]]:
    """``(name, settings)`` of every probe, each checked (before any trains)."""
    checked = []
    for i, probe in enumerate(probes):
        if set(probe) - {"name", *_PROBE_DEFAULTS, *_PROBE_EXTRAS} or "name" not in probe:
            raise ValueError(f"probe {i} needs a name and only {[*_PROBE_DEFAULTS, *_PROBE_EXTRAS]}, got {probe!r}")
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


def _draw(real, generator, settings, n, learning_rate, cnn_epochs, seed):
    """``(x, y, agrees)``: ``n`` digits drawn as ``settings`` say; ``agrees`` with ``agree_with_real``, else None."""
    x, y = conditional.generate_labelled(generator, n, seed=0, noise_scale=settings["noise_scale"])
    agrees = _real_agreement(real, x, y, learning_rate, cnn_epochs, seed) if settings.get("agree_with_real") else None
    return x, y, agrees


def _best_per_digit(score: np.ndarray, labels: np.ndarray, n: int, seed: int = config.SEED) -> np.ndarray:
    """Indices of the ``n // 10`` highest-scoring images of each digit, shuffled by ``seed``."""
    chosen = [
        np.flatnonzero(labels == d)[np.argsort(-score[labels == d], kind="stable")[: n // config.NUM_CLASSES]]
        for d in range(config.NUM_CLASSES)
    ]
    return np.random.default_rng(seed).permutation(np.concatenate(chosen))


def probe_samples(
    real,
    generator,
    folder,
    learning_rate,
    probes,
    discriminator=None,
    tag="cdcgan",
    n=config.SUBSET_SIZE,
    cnn_epochs=config.TRANSFER_EPOCHS,
    seed=config.SEED,
) -> pd.DataFrame:
    """Each way to draw or train on generated digits scored by the CNN trained on ``n`` of them, a row per probe."""
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
            x, y, agrees = _draw(real, generator, settings, drawn, learning_rate, cnn_epochs, seed)
            chosen, extra = slice(None), {}
            if keep < 1:
                chosen = _best_per_digit(conditional.discriminator_logits(discriminator, x, y), y, n, seed)
            elif agree:
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
    return pd.DataFrame(rows, columns=["probe", *_PROBE_DEFAULTS, *_PROBE_EXTRAS, *measured])


def run_best_probe_arms(
    real, generator, samples, probes, learning_rate, cnn_epochs, sizes, seeds, folder, tag="cdcgan"
):
    """The train-on-generated arms of ``sizes`` digits as the best probe needing no discriminator, as many updates."""
    by_name = {p["name"]: _probe_settings(p) for p in probes}
    usable = samples[[by_name[name]["keep"] >= 1 for name in samples["probe"]]]
    if usable.empty:
        raise ValueError("every probe keeps the discriminator's best digits: add one that does not, e.g. 'as drawn'")
    best = usable.loc[usable["val_accuracy"].idxmax(), "probe"]
    settings = by_name[best]
    lr, epochs, augment, recipe = _probe_training(settings, learning_rate, cnn_epochs)
    drawn_by, drawn = {"generator_weights": weights_digest(generator), "probe": settings, "sizes": list(sizes)}, None
    rows = []
    for n in sizes:
        arm = f"generated {f'{n // 1000}k' if n % 1000 == 0 else f'{n:,}'} ({best})"
        study = protocols.Study(n, folder, tag=f"{tag}: {arm}", data={}, inputs=drawn_by)
        n_epochs = max(1, round(epochs * len(real["x_train"]) / n))
        stored = [study.store.get(study.inputs("cnn", "adam", lr, n_epochs, s, augment, **recipe)) for s in seeds]
        if not all(r and "test_accuracy" in r for r in stored):
            if drawn is None:  # drawn (and filtered) once, for the largest arm; only when a run is missing
                n_drawn = max(sizes) * (AGREE_DRAW if settings.get("agree_with_real") else 1)
                drawn = _draw(real, generator, settings, n_drawn, learning_rate, cnn_epochs, config.SEED)
            x, y, agrees = drawn
            chosen = np.arange(n) if agrees is None else _best_per_digit(agrees.astype(float), y, n)
            data = {**real, "x_train": x[chosen], "y_train": y[chosen].astype(np.int64)}
            study = protocols.Study(n, folder, tag=study.tag, data=data, inputs=drawn_by)
        rows += [{**study.run("cnn", "adam", lr, n_epochs, s, augment=augment, **recipe), "arm": arm} for s in seeds]
    return pd.DataFrame(rows)
