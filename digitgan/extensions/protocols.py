"""Notebook 10: the CNN and trial 3 with more images, other optimisers and a modern protocol, chosen on validation."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from digitgan import checks, config, fileio, gan, training, transfer, utils
from digitgan.data import load_mnist, one_hot, scale_images, subset_indices
from digitgan.extensions import constants
from digitgan.models import build_cnn, build_discriminator, with_dropout
from digitgan.store import STORE_FILE, Store, file_digest, model_fields
from digitgan.store import key as store_key

PROTOCOL_VAL = 5_000  # the validation split: training images outside the 10k subset
PROTOCOLS_DIR = config.CHECKPOINT_DIR / "protocols"  # the run store
# A run's regularisation beyond learning rate and epochs; runs with these keep their keys.
RECIPE_DEFAULTS = dict(weight_decay=0.0, label_smoothing=0.0, strength=0.1, batch_size=config.BATCH_SIZE, dropout=0.0)
# store.architecture_digest of classifier(name) as the study's runs were trained (tests hold it equal to today's).
STUDY_ARCHITECTURE = {"cnn": "27d8d28d2fa26c18", "trial3": "d43a76965a3d6f8a"}
_CELL = ["model", "n_train", "optimizer", "augment", "learning_rate"]  # a table's cell: the runs of all seeds


def load_data(n_train: int, n_val: int = PROTOCOL_VAL, source=None) -> dict:
    """10k: the study's subset; 60k: all but the validation split (``n_val`` others); else a prefix of the subset."""
    (x_all, y_all), test = load_mnist(source)
    subset = subset_indices(len(x_all), config.SUBSET_SIZE, config.SEED)
    rest = np.setdiff1d(np.arange(len(x_all)), subset)
    val = np.sort(np.random.RandomState(config.SEED + 1).choice(rest, n_val, replace=False))
    if n_train == config.SUBSET_SIZE:
        train = subset
    elif n_train == config.N_TRAIN_FULL:
        train = np.setdiff1d(np.arange(len(x_all)), val)
    else:
        train = subset[: checks.integer("n_train", n_train, 1, config.SUBSET_SIZE)]
    out = {}
    for split, (x, y) in {"train": (x_all[train], y_all[train]), "val": (x_all[val], y_all[val]), "test": test}.items():
        out[f"x_{split}"], out[f"y_{split}"] = scale_images(x), y.astype(np.int64)
    return out


def _augmentation(seed: int, strength: float) -> keras.Sequential:
    """Random shifts (``strength`` of the image), rotations (``strength`` x 100 degrees) and zooms, background fill."""
    fill = {"fill_mode": "constant", "fill_value": -1.0, "seed": seed}
    shift = keras.layers.RandomTranslation(strength, strength, **fill)
    rotation = keras.layers.RandomRotation(strength * 100 / 360, **fill)
    return keras.Sequential([shift, rotation, keras.layers.RandomZoom(strength, **fill)], name="augmentation")


def _optimizer(name: str, learning_rate: float, decay_steps: int, weight_decay: float = 0.0):
    """The optimiser ``name`` on a cosine schedule over ``decay_steps``; ``weight_decay``: AdamW's (Adam only)."""
    if weight_decay and name != "adam":
        raise ValueError(f"weight_decay is only used with optimizer 'adam', got {name!r}: set it to 0")
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, decay_steps))
    if name != "adam":
        return keras.optimizers.SGD(schedule, momentum=0.9 if name == "momentum" else 0.0)
    return (
        keras.optimizers.AdamW(schedule, weight_decay=weight_decay) if weight_decay else keras.optimizers.Adam(schedule)
    )


def classifier(name: str, discriminator: keras.Model | None = None) -> keras.Model:
    """The CNN, or trial 3's classifier on ``discriminator`` (an untrained one by default)."""
    if name == "cnn":
        return build_cnn()
    discriminator = build_discriminator() if discriminator is None else discriminator
    return transfer.discriminator_to_classifier(discriminator, constants.trial_schedule("trial3")[0], freeze=True)


def build_model(name: str, augment: bool, seed: int, discriminator_path=None, strength=0.1, dropout=0.0):
    """``(model to train, the classifier inside it)``: after the augmentation if ``augment``, ``dropout`` added."""
    discriminator = None if name == "cnn" else gan.load_discriminator(discriminator_path or config.DISCRIMINATOR_PATH)
    core = with_dropout(classifier(name, discriminator), dropout)
    if not augment:
        return core, core
    inputs = keras.Input(config.IMAGE_SHAPE)
    return keras.Model(inputs, core(_augmentation(seed, strength)(inputs)), name=f"{core.name}_augmented"), core


def train_run(model_name, data, optimizer, learning_rate, epochs, seed, augment=False, test=True, **options) -> dict:
    """One run, its best validation epoch kept; ``options``: ``discriminator_path``, ``weights_path``, a recipe's."""
    discriminator_path, weights_path = options.pop("discriminator_path", None), options.pop("weights_path", None)
    if unknown := set(options) - set(RECIPE_DEFAULTS):
        raise ValueError(f"unknown recipe settings {sorted(unknown)}: use {sorted(RECIPE_DEFAULTS)}")
    r = {**RECIPE_DEFAULTS, **options}
    checks.choice("model", model_name, ("cnn", "trial3"))
    checks.choice("optimizer", optimizer, ("sgd", "momentum", "adam"))
    for name, high in [("weight_decay", 1), ("label_smoothing", 0.5), ("strength", 0.5), ("dropout", 0.9)]:
        checks.fraction(name, r[name], 0.0, high)
    checks.labelled(data, ("train", "val") + (("test",) if test else ()))
    checks.learning_rate(learning_rate)
    epochs, seed = checks.integer("epochs", epochs, 1), checks.seed(seed)
    batch_size = checks.batch_size(r["batch_size"], len(data["x_train"]))
    utils.set_seed(seed)
    model, core = build_model(model_name, augment, seed, discriminator_path, r["strength"], r["dropout"])
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=r["label_smoothing"])
    steps = -(-len(data["x_train"]) // batch_size)
    frozen = round(constants.trial_schedule("trial3")[1] * epochs / config.TRANSFER_EPOCHS) * (model_name == "trial3")
    best, start, val_curve = training.BestWeights(), 0, []
    x, y, validation = data["x_train"], one_hot(data["y_train"]), (data["x_val"], one_hot(data["y_val"]))
    fit = {"batch_size": batch_size, "validation_data": validation, "callbacks": [best], "verbose": 0}
    began = time.perf_counter()
    for unfrozen, end in [(False, frozen), (True, epochs)] if frozen else [(True, epochs)]:
        if model_name == "trial3":
            transfer.set_transferred_trainable(core, unfrozen)  # inside the augmentation wrapper, if any
        phase_optimizer = _optimizer(optimizer, learning_rate, (end - start) * steps, r["weight_decay"])
        model.compile(optimizer=phase_optimizer, loss=loss, metrics=["accuracy"])
        val_curve += model.fit(x, y, epochs=end, initial_epoch=start, **fit).history["val_accuracy"]
        start = end
    seconds = time.perf_counter() - began
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(model, weights_path)
    out = {"val_accuracy": best.best, "kept_epoch": best.epoch, "seconds": seconds}
    out["val_curve"] = [round(float(v), 5) for v in val_curve]
    return {**out, "test_accuracy": training.accuracy(model, data["x_test"], data["y_test"])} if test else out


class Study:
    """Stored runs of one data size and their kept weights; ``tag`` and ``inputs`` name other training images."""

    def __init__(self, n_train, folder, source=None, discriminator_path=None, tag="real", data=None, inputs=None):
        self.n_train, self.store = n_train, Store(Path(folder) / STORE_FILE)
        self.weights_dir = Path(folder) / "kept_weights"
        self.discriminator_path = discriminator_path  # trial 3's: the committed DCGAN's unless given
        self.source, self.tag, self.extra = source, tag, dict(inputs or {})
        if data is not None:
            self.data = data

    @functools.cached_property
    def data(self) -> dict:
        return load_data(self.n_train, source=self.source)

    def inputs(self, model_name, optimizer, learning_rate, epochs, seed, augment=False, **recipe) -> dict:
        """Everything that decides one run's result: its store key's source."""
        out = {"part": "protocols", "data": self.tag, **self.extra, "model": model_name, "n_train": self.n_train}
        out |= {"n_val": PROTOCOL_VAL, "optimizer": optimizer, "learning_rate": learning_rate, "epochs": epochs}
        out |= {"seed": seed, "augment": augment, "recipe": dict(sorted({**RECIPE_DEFAULTS, **recipe}.items()))}
        if model_name == "trial3":
            out["discriminator"] = file_digest(self.discriminator_path or config.DISCRIMINATOR_PATH)
        return {**out, **model_fields(classifier(model_name), STUDY_ARCHITECTURE[model_name])}

    def weights_path(self, i: dict) -> Path:
        return self.weights_dir / f"{i['model']}_{i['n_train']}_{i['optimizer']}_{i['seed']}_{store_key(i)}.weights.h5"

    def run(self, model_name, optimizer, learning_rate, epochs, seed, augment=False, test=True, **recipe) -> dict:
        """The stored run, or one trained and stored at once (a stored candidate is tested from its weights)."""
        r = {**RECIPE_DEFAULTS, **recipe}
        changed = {k: v for k, v in r.items() if v != RECIPE_DEFAULTS.get(k)}  # unknown ones: train_run refuses
        inputs = self.inputs(model_name, optimizer, learning_rate, epochs, seed, augment, **r)
        cached, weights = self.store.get(inputs), self.weights_path(inputs)
        if cached is not None and (not test or "test_accuracy" in cached):
            return cached
        how = f"{model_name} {self.n_train} {optimizer} lr {learning_rate:g}"
        if cached is not None and weights.is_file():
            model, _ = build_model(model_name, augment, seed, self.discriminator_path, r["strength"], r["dropout"])
            fileio.load_weights(model, weights, f"Delete {weights} to train this run again.")
            test_accuracy = training.accuracy(model, self.data["x_test"], self.data["y_test"])
            cached = self.store.put(inputs, {**cached, "test_accuracy": test_accuracy})
            print(f"{how} seed {seed}: test {cached['test_accuracy']:.4f} (the candidate's kept weights)", flush=True)
            return cached
        args = (model_name, self.data, optimizer, learning_rate, epochs, seed, augment, test)
        result = train_run(*args, discriminator_path=self.discriminator_path, weights_path=weights, **r)
        fields = ("data", "model", "n_train", "optimizer", "learning_rate", "epochs", "seed", "augment")
        result.update({k: inputs[k] for k in fields}, **changed)
        score = (f"test {result['test_accuracy']:.4f}, " if test else "") + f"validation {result['val_accuracy']:.4f}"
        print(f"{how} {epochs} epochs seed {seed}{' augmented' * augment} {changed}: {score}", flush=True)
        return self.store.put(inputs, result)


def choose_learning_rate(study, model_name, optimizer, rates, epochs, augment=False, seed=config.SEED):
    """``(rate, runs)``: each candidate trained once; the best on validation wins (ties: the first)."""
    tried = [study.run(model_name, optimizer, rate, epochs, seed, augment, test=False) for rate in rates]
    return float(rates[int(np.argmax([t["val_accuracy"] for t in tried]))]), tried


def run_protocols(label_sizes, models, optimizers, seeds, epochs, folder, learning_rates, source=None):
    """One row per final (model, data size, optimizer, seed) run, the learning rate chosen at the first data size."""
    studies, rows = {n: Study(n, folder, source) for n in label_sizes}, []
    for model_name in models:
        for optimizer in optimizers:
            rates = learning_rates[optimizer]
            chosen, _ = choose_learning_rate(studies[label_sizes[0]], model_name, optimizer, rates, epochs)
            rows += [studies[n].run(model_name, optimizer, chosen, epochs, seed) for n in label_sizes for seed in seeds]
    return pd.DataFrame(rows)


def recipe_settings(recipe: dict, name: str = "recipe") -> dict:
    """A modern-protocol candidate, checked: ``learning_rate``, ``epochs``, any of ``RECIPE_DEFAULTS`` (filled in)."""
    allowed = {"learning_rate", "epochs", *RECIPE_DEFAULTS}
    if not isinstance(recipe, dict) or not {"learning_rate", "epochs"} <= set(recipe) or set(recipe) - allowed:
        raise ValueError(f"{name} must hold learning_rate, epochs, any of {sorted(RECIPE_DEFAULTS)}; got {recipe!r}")
    learning_rate = checks.positive_float(f"{name} learning_rate", recipe["learning_rate"])
    epochs = checks.integer(f"{name} epochs", recipe["epochs"], 1)
    return {**RECIPE_DEFAULTS, **recipe, "learning_rate": learning_rate, "epochs": epochs}


def _choose_recipe(study: Study, model_name: str, recipes, seed: int = config.SEED) -> tuple[dict, pd.DataFrame]:
    """The candidate best on validation (each trained once, augmented; ties: the first), and a table of them."""
    recipes = [recipe_settings(r, f"recipe {i}") for i, r in enumerate(recipes)]
    if not recipes:
        raise ValueError("recipes is empty: give at least one, e.g. [{'learning_rate': 0.001, 'epochs': 30}]")
    tried = [study.run(model_name, "adam", seed=seed, augment=True, test=False, **r) for r in recipes]
    scores = [{k: t[k] for k in ("val_accuracy", "kept_epoch", "seconds")} for t in tried]
    table = pd.DataFrame([{"model": model_name, **r, **s} for r, s in zip(recipes, scores, strict=True)])
    return recipes[int(table["val_accuracy"].to_numpy().argmax())], table


def run_modern(models, seeds, recipes, folder, n_train=config.SUBSET_SIZE, source=None):
    """``(final runs, candidates)``: each model's recipe chosen among the same ``recipes``, then every seed."""
    study, rows, candidates = Study(n_train, folder, source), [], []
    for model_name in models:
        chosen, table = _choose_recipe(study, model_name, recipes)
        candidates.append(table)
        rows += [{**study.run(model_name, "adam", seed=s, augment=True, **chosen), "recipe": chosen} for s in seeds]
    return pd.DataFrame(rows), pd.concat(candidates, ignore_index=True)


def explore_recipes(recipes, folder, n_train=config.SUBSET_SIZE, source=None) -> pd.DataFrame:
    """Further recipes tried on the CNN alone (validation only), kept out of :func:`run_modern`'s choice."""
    return _choose_recipe(Study(n_train, folder, source), "cnn", recipes)[1] if recipes else pd.DataFrame()


def versions_tried(modern: pd.DataFrame, folder: Path = PROTOCOLS_DIR) -> list[dict]:
    """Every modern recipe the store holds test scores of, per model: by seed, the mean, whether ``modern`` has it."""

    def recipe_key(recipe: dict) -> tuple:
        return tuple(sorted({**RECIPE_DEFAULTS, **recipe}.items()))

    reported = {(r["model"], recipe_key(r["recipe"])) for _, r in modern.iterrows()}
    versions = {}
    for record in Store(Path(folder) / STORE_FILE).records().values():
        i, result = record["inputs"], record["result"]
        if i.get("augment") and i.get("data") == "real" and result.get("test_accuracy") is not None:
            recipe = recipe_key({**i["recipe"], "learning_rate": i["learning_rate"], "epochs": i["epochs"]})
            versions.setdefault((i["model"], recipe), {})[str(i["seed"])] = result["test_accuracy"]
    out = []
    for (model, recipe), seeds in sorted(versions.items()):
        row = {"result": f"{model}, modern protocol", "recipe": dict(recipe), "reported": (model, recipe) in reported}
        out.append({**row, "test": dict(sorted(seeds.items())), "test_mean": float(np.mean(list(seeds.values())))})
    return out


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per model, data size, optimizer, protocol and learning rate: mean, std (ddof 1), runs."""
    return utils.seed_stats(runs.groupby(_CELL)["test_accuracy"]).reset_index()


def seed_summary(runs: pd.DataFrame) -> dict:
    """Runs' test accuracy over their seeds: ``mean``, ``std`` (ddof 1; None for one run), ``runs``, ``by_seed``."""
    acc = runs["test_accuracy"].to_numpy()
    std = float(acc.std(ddof=1)) if len(acc) > 1 else None
    by_seed = {str(int(s)): float(a) for s, a in zip(runs["seed"], acc, strict=True)}
    return {"mean": float(acc.mean()), "std": std, "runs": len(acc), "by_seed": by_seed}


def to_results(runs, modern, learning_rates=None, candidates=None, explored=None) -> dict:
    """results.json's ``future_work`` -> ``protocols``: each cell's choices and :func:`seed_summary`; the tables."""
    tried = {("original", o): [float(r) for r in rs] for o, rs in (learning_rates or {}).items()}
    if candidates is not None and len(candidates):
        tried[("modern", "adam")] = sorted({float(r) for r in candidates["learning_rate"]})
    cells = []
    for (model, n, opt, aug, rate), part in [cell for frame in (runs, modern) for cell in frame.groupby(_CELL)]:
        protocol = "modern" if aug else "original"
        cell = {"model": model, "n_train": int(n), "optimizer": opt, "protocol": protocol}
        cell |= {"learning_rate": float(rate), "learning_rates_tried": tried.get((protocol, opt))}
        cell |= {**seed_summary(part), "kept_epochs": [int(e) for e in part["kept_epoch"]]}
        if aug and "recipe" in part:
            cell["recipe"] = part["recipe"].iloc[0]
        cells.append(cell)
    out = {"runs": cells, "n_val": PROTOCOL_VAL}
    for name, table in (("candidates", candidates), ("explored", explored)):
        out[f"modern_{name}"] = [] if table is None else table.to_dict("records")
    return out
