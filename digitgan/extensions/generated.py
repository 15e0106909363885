"""The report's question 3: do labelled generated digits help, and how does a classifier do on generated digits
compared with real ones? (``11_generated_digits.ipynb``)

The conditional DCGAN (:mod:`.conditional`) draws labelled digits. Every arm below trains the study's CNN
the same way (Adam, cosine schedule, the learning rate chosen on the real validation split for the real-only arm
and kept for every arm, the epoch with the best validation accuracy kept), 3 seeds, scored on the real test set:

- ``generated 10k`` / ``generated 60k``: generated digits only ("train on generated, test on real");
- ``real``: the study's 10k subset; ``real + 10k generated`` / ``real + 50k generated``: the subset with that many
  generated digits added; ``real + classical augmentation``: the subset with random shifts, rotations and zooms.

Validation and test images are always real (:func:`digitgan.extensions.protocols.load_data`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, config, fileio, training, utils
from digitgan.extensions import conditional, protocols
from digitgan.models import build_cnn
from digitgan.store import STORE_FILE, Store, array_digest, weights_digest

CGAN_STATE_NAME = "conditional_dcgan"  # the conditional DCGAN's training state (git-ignored); its exports beside it
ARMS = config.GENERATED_ARMS
_REAL_ARMS = ("real", "real + classical augmentation")  # trained on the real images alone

PROBE_DEFAULTS = {"noise_scale": 1.0, "keep": 1.0, "label_smoothing": 0.0, "modern": False}
# Probe settings that enter a probe's key only when given (so that the earlier probes keep theirs): ``recipe`` (one
# of 10's modern recipes), ``agree_with_real`` (keep, of AGREE_DRAW x n drawn, each digit's first n / 10 that a CNN
# trained on the real labelled images reads as the digit asked for: a label-consistency filter).
PROBE_EXTRAS = ("recipe", "agree_with_real")
AGREE_DRAW = 2
MODERN_RECIPE = config.MODERN_RECIPES[0]  # a probe's "modern": 10's first candidate (lr 0.001, 30 epochs), augmented


def judge_per_class(judge, images: np.ndarray, labels: np.ndarray) -> dict:
    """How often the judge (a CNN trained on all 60,000 real images) reads each generated digit as the digit it was
    drawn for: ``{"overall": ..., "0": ..., ..., "9": ...}``."""
    predicted, _ = training.predict_labels(judge, images)
    out = {"overall": float(np.mean(predicted == labels))}
    for digit in range(config.NUM_CLASSES):
        mask = labels == digit
        out[str(digit)] = float(np.mean(predicted[mask] == digit)) if mask.any() else None
    return out


def within_class_spread(images: np.ndarray, labels: np.ndarray) -> float:
    """How much the images of one digit differ from each other: the standard deviation of each pixel over the
    images of a digit, averaged over the pixels and then over the digits. Real digits of the 10k subset: about
    0.31 (pixels in [-1, 1]); a generator that draws one style per digit (mode collapse within a class) scores
    far lower."""
    return float(np.mean([images[labels == d].std(axis=0).mean() for d in np.unique(labels)]))


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


def cgan_name(mode_seeking: float) -> str:
    """The conditional DCGAN's state folder (and export prefix) and the tag of the arms trained on its digits:
    the plain model keeps the study's first names."""
    return CGAN_STATE_NAME + (f"_ms{mode_seeking:g}" if mode_seeking else "")


def arm_tag(mode_seeking: float) -> str:
    """What names the generated digits in the arms' cache keys: the plain conditional DCGAN's keep their first
    tag."""
    return "cdcgan" + (f"-ms{mode_seeking:g}" if mode_seeking else "")


def choose_mode_seeking(
    real: dict,
    folder: Path,
    learning_rate: float,
    weights=config.MODE_SEEKING_WEIGHTS,
    epochs: int = config.MODE_SEEKING_PROBE_EPOCHS,
    cnn_epochs: int = config.TRANSFER_EPOCHS,
    n_generated: int = config.SUBSET_SIZE,
    seed: int = config.SEED,
) -> tuple[float, pd.DataFrame]:
    """The mode-seeking weight whose conditional DCGAN, after ``epochs`` epochs, gives the CNN (Adam at
    ``learning_rate``) trained on ``n_generated`` of its digits the best real validation accuracy (ties: the first);
    one row per weight, with the digits' within-class spread. Each probe's GAN is resumable (``folder/probe_<name>``,
    git-ignored); a finished probe is kept in the run store and not run again."""
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
            result = {"mode_seeking": weight, "gan_epochs": epochs, "gan_seconds": float(sum(history["epoch_seconds"]))}
            result |= {"within_class_spread": spread, "val_accuracy": run["val_accuracy"]}
            result["cnn_seconds"] = run["seconds"]
            store.put(inputs, result)
            scores = f"spread {spread:.3f}, validation {run['val_accuracy']:.4f}"
            print(f"mode seeking {weight:g}: {scores} (train on generated)", flush=True)
        rows.append(result)
    columns = ["mode_seeking", "gan_epochs", "within_class_spread", "val_accuracy", "gan_seconds", "cnn_seconds"]
    table = pd.DataFrame(rows)[columns]
    return float(table.loc[table["val_accuracy"].idxmax(), "mode_seeking"]), table


def real_learning_rate(
    real: dict, folder: Path, rates=config.GENERATED_LEARNING_RATES, epochs: int = config.TRANSFER_EPOCHS
) -> float:
    """The CNN's Adam learning rate chosen on the real validation split for the real-only arm (cached runs); every
    arm and every mode-seeking probe uses it."""
    base = protocols.Study(len(real["x_train"]), folder, tag="real", data=real)
    return protocols.choose_learning_rate(base, "cnn", "adam", rates, epochs)[0]


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
            raise ValueError(
                f"probe {i} needs a name and at most {sorted(PROBE_DEFAULTS)} and {sorted(PROBE_EXTRAS)}, got {probe!r}"
            )
        settings, name = _probe_settings(probe), probe["name"]
        if settings.get("agree_with_real") and settings["keep"] < 1:
            raise ValueError(
                f"probe {name!r}: keep the discriminator's best or the digits a real-trained CNN agrees with, not both"
            )
        if "recipe" in settings:
            if settings["modern"] or settings["label_smoothing"]:
                raise ValueError(
                    f"probe {name!r} gives a recipe: set label_smoothing in it, not modern or label_smoothing beside it"
                )
            protocols.recipe_settings(settings["recipe"], f"probe {i} recipe")
        checks.fraction(f"probe {i} keep", settings["keep"], 0.01, 1.0 + 1e-9)
        checks.positive_float(f"probe {i} noise_scale", settings["noise_scale"])
        checked.append((name, settings))
    return checked


def _real_agreement(
    real: dict, x: np.ndarray, y: np.ndarray, learning_rate: float, epochs: int, seed: int = config.SEED
) -> np.ndarray:
    """Whether the CNN trained on the real labelled images (``real``: Adam at ``learning_rate``, ``epochs``, the best
    validation epoch kept, as the real arm) reads each generated digit ``x`` as its label ``y``."""
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
    probes=config.GENERATED_PROBES,
    discriminator=None,
    tag: str = "cdcgan",
    n: int = config.SUBSET_SIZE,
    cnn_epochs: int = config.TRANSFER_EPOCHS,
    seed: int = config.SEED,
) -> pd.DataFrame:
    """Other ways to draw or to train on generated digits (``config.GENERATED_PROBES``: the noise's scale, keeping
    each digit's best by the conditional ``discriminator``, label smoothing, the modern recipe or any of 10's
    recipes), each scored on the real validation split (the test set unread; the arms do not use them) by the CNN
    trained on ``n`` of them (seed 42; Adam at ``learning_rate`` for ``cnn_epochs`` unless modern or a recipe). One
    row per probe; every probe is checked before any trains, and a finished one is kept in the run store (``tag``
    names the generator, its weights' digest is an input: the discriminator is its partner) and not run again."""
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
    sizes=config.GENERATED_BEST_PROBE_SIZES,
    seeds=config.LABEL_SEEDS,
    folder: Path = protocols.PROTOCOLS_DIR,
    generator_tag: str = "cdcgan",
) -> pd.DataFrame:
    """The train-on-generated arms again (``sizes`` digits), drawn and trained as the sample probe with the best
    validation accuracy (``samples``: :func:`probe_samples`' table of ``probes``, but those that need the
    discriminator, which is in the git-ignored training state); each seed's test accuracy read once. An arm larger
    than the probe's digits (as many as the real training images) trains for proportionally fewer epochs (the same
    number of updates). One row per run, its arm named ``generated <size> (<probe>)``."""
    by_name = {p["name"]: _probe_settings(p) for p in probes}
    usable = samples[[by_name[name]["keep"] >= 1 for name in samples["probe"]]]
    if usable.empty:
        raise ValueError(
            "every probe keeps the discriminator's best digits: add one that does not (e.g. "
            "{'name': 'as drawn'}) to choose the arms' way among"
        )
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
        if not all(study.finished("cnn", "adam", lr, n_epochs, seed, augment, **recipe) for seed in seeds):
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


def same_recipe_on_real(
    recipe: dict = config.MODERN_DROPOUT_RECIPE,
    seeds=config.LABEL_SEEDS,
    folder: Path = protocols.PROTOCOLS_DIR,
    n_train: int = config.SUBSET_SIZE,
    source=None,
) -> dict:
    """The CNN with ``recipe`` (10's modern recipe, the filtered arms') trained on the real ``n_train`` images, one run
    per seed (10's stored runs in ``folder``, reused): the fair real-data reference of generated digits trained with
    that recipe. ``{"recipe", "mean", "std", "runs", "by_seed"}``."""
    study, settings = protocols.Study(n_train, folder, source), protocols.recipe_settings(recipe)
    by_seed = {str(s): study.run("cnn", "adam", seed=s, augment=True, **settings)["test_accuracy"] for s in seeds}
    values = np.array(list(by_seed.values()))
    std = float(values.std(ddof=1)) if len(values) > 1 else None
    return {"recipe": dict(recipe), "mean": float(values.mean()), "runs": len(values), "by_seed": by_seed, "std": std}


def run_arms(
    real: dict,
    x_gen: np.ndarray,
    y_gen: np.ndarray,
    arms=ARMS,
    seeds=config.LABEL_SEEDS,
    epochs: int = config.TRANSFER_EPOCHS,
    rates=config.GENERATED_LEARNING_RATES,
    folder: Path = protocols.PROTOCOLS_DIR,
    generator_tag: str = "cdcgan",
) -> tuple[pd.DataFrame, float]:
    """Every arm with every seed (cached per arm: ``generator_tag`` names the generated digits); returns the runs
    and the learning rate chosen on the real validation split for the real-only arm."""
    rate = real_learning_rate(real, folder, rates, epochs)
    base = protocols.Study(len(real["x_train"]), folder, tag="real", data=real)
    digits = {"digits": array_digest(x_gen, y_gen)}  # the generated digits the arms draw from
    rows = []
    for arm in arms:
        data, study = arm_data(arm, real, x_gen, y_gen), base
        if arm not in _REAL_ARMS:
            tag = f"{generator_tag}: {arm}"
            study = protocols.Study(len(data["x_train"]), folder, tag=tag, data=data, inputs=digits)
        augment = arm == "real + classical augmentation"
        rows += [{**study.run("cnn", "adam", rate, epochs, seed, augment=augment), "arm": arm} for seed in seeds]
    return pd.DataFrame(rows), rate


def arm_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per arm: mean, std (ddof 1), runs, in ``ARMS`` order (any other arm after them)."""
    table = utils.seed_stats(runs.groupby("arm", sort=False)["test_accuracy"])
    return table.reindex([a for a in ARMS if a in table.index] + [a for a in table.index if a not in ARMS])


def to_results(
    scores: dict,
    per_digit: dict,
    runs: pd.DataFrame,
    rate: float,
    history: dict,
    spread: dict,
    mode_seeking: float = 0.0,
    probes: pd.DataFrame | None = None,
    sample_probes: pd.DataFrame | None = None,
) -> dict:
    """What results.json records under ``future_work`` -> ``generated_digits``; ``spread``: the ``generated`` and
    ``real`` :func:`within_class_spread`; ``probes``, ``sample_probes``: the tables of the mode-seeking weights
    (``mode_seeking``: the one trained with) and of the sample probes."""
    arms = {}
    for arm, part in runs.groupby("arm", sort=False):
        arms[arm] = {**protocols.seed_summary(part), "n_train": int(part["n_train"].iloc[0])}
    return {
        "classifier_score": scores["classifier_score"],
        "frechet_distance": scores.get("frechet_distance"),
        "class_fractions": scores["class_fractions"],
        "judge_accuracy_on_generated": per_digit,
        "within_class_spread": spread,
        "mode_seeking": float(mode_seeking),
        "mode_seeking_probes": [] if probes is None else probes.to_dict("records"),
        "sample_probes": [] if sample_probes is None else sample_probes.to_dict("records"),
        "learning_rate": rate,
        "arms": arms,
        "gan_epochs": len(history["epoch_seconds"]),
        "gan_seconds": float(sum(history["epoch_seconds"])),
    }
