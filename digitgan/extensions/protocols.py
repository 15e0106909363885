"""The report's question 2 (``10_data_and_optimizers.ipynb``): what do more training images, other optimisers and
learning rates, and a modern training protocol do for the CNN and trial 3? Every choice (each optimiser's learning
rate, the epoch kept, the modern recipe) is made on a validation split (:mod:`.protocol_data`); each run is stored
as soon as it finishes, its kept weights saved, and the test set read once per final model (a chosen candidate is
tested from its kept weights).
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import pandas as pd

from digitgan import checks, config, fileio, gan, training, transfer, utils
from digitgan.data import one_hot
from digitgan.extensions import constants
from digitgan.extensions.protocol_data import (
    LEARNING_RATES,
    MODELS,
    OPTIMIZERS,
    PROTOCOL_VAL,
    PROTOCOLS_DIR,
    RECIPE_DEFAULTS,
    augmentation,
    load_data,
    optimizer_for,
)
from digitgan.extensions.protocol_tables import seed_summary, summary_table, to_results, versions_tried  # noqa: F401
from digitgan.models import build_cnn, build_discriminator, with_dropout
from digitgan.store import STORE_FILE, Store, file_digest, model_fields
from digitgan.store import key as store_key

WEIGHTS_DIR = "kept_weights"  # every run's kept weights (git-ignored)
# store.architecture_digest of classifier(name) as the study's runs were trained (tests hold it equal to today's).
STUDY_ARCHITECTURE = {"cnn": "27d8d28d2fa26c18", "trial3": "d43a76965a3d6f8a"}


def classifier(name: str, discriminator: keras.Model | None = None) -> keras.Model:
    """A classifier of the study: the CNN, or trial 3's on ``discriminator`` (an untrained one by default: a fresh
    classifier's architecture is what a key names)."""
    if name == "cnn":
        return build_cnn()
    discriminator = build_discriminator() if discriminator is None else discriminator
    return transfer.discriminator_to_classifier(discriminator, constants.trial_schedule("trial3")[0], freeze=True)


def build_model(
    name: str,
    augment: bool,
    seed: int,
    discriminator_path: Path | None = None,
    strength: float = RECIPE_DEFAULTS["strength"],
    dropout: float = RECIPE_DEFAULTS["dropout"],
):
    """``(model to train, the classifier inside it)``: one model unless augmented (a wrapper); trial 3 starts from the
    discriminator at ``discriminator_path`` (the study's); ``dropout``: on its Dense layers' inputs."""
    discriminator = None if name == "cnn" else gan.load_discriminator(discriminator_path or config.DISCRIMINATOR_PATH)
    core = with_dropout(classifier(name, discriminator), dropout)
    if not augment:
        return core, core
    inputs = keras.Input(config.IMAGE_SHAPE)
    return keras.Model(inputs, core(augmentation(seed, strength)(inputs)), name=f"{core.name}_augmented"), core


def train_run(
    model_name: str,
    data: dict,
    optimizer: str,
    learning_rate: float,
    epochs: int,
    seed: int,
    augment: bool = False,
    test: bool = True,
    discriminator_path: Path | None = None,
    weights_path: Path | None = None,
    weight_decay: float = 0.0,
    label_smoothing: float = 0.0,
    strength: float = RECIPE_DEFAULTS["strength"],
    batch_size: int = config.BATCH_SIZE,
    dropout: float = RECIPE_DEFAULTS["dropout"],
) -> dict:
    """One run of at most ``epochs`` epochs, the best validation epoch kept (its weights saved to ``weights_path``);
    with ``test``, its test accuracy. The recipe: ``weight_decay`` (AdamW's), ``label_smoothing``, ``strength`` (of
    the augmentation), ``batch_size``, ``dropout`` (on the Dense layers' inputs)."""
    checks.choice("model", model_name, MODELS)
    checks.choice("optimizer", optimizer, OPTIMIZERS)
    checks.fraction("weight_decay", weight_decay, 0.0, 1.0)
    checks.fraction("label_smoothing", label_smoothing, 0.0, 0.5)
    checks.fraction("strength", strength, 0.0, 0.5)
    checks.fraction("dropout", dropout, 0.0, 0.9)
    checks.labelled(data, ("train", "val") + (("test",) if test else ()))
    checks.learning_rate(learning_rate)
    epochs = checks.integer("epochs", epochs, 1)
    seed = checks.seed(seed)
    batch_size = checks.batch_size(batch_size, len(data["x_train"]))
    utils.set_seed(seed)
    model, core = build_model(model_name, augment, seed, discriminator_path, strength, dropout)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
    steps = -(-len(data["x_train"]) // batch_size)
    frozen = constants.trial_schedule("trial3")[1]
    frozen_epochs = round(frozen * epochs / config.TRANSFER_EPOCHS) if model_name == "trial3" else 0
    phases = [(False, frozen_epochs), (True, epochs)] if frozen_epochs else [(True, epochs)]
    best, start, val_curve = training.BestWeights(), 0, []
    x, y, validation = data["x_train"], one_hot(data["y_train"]), (data["x_val"], one_hot(data["y_val"]))
    fit = {"batch_size": batch_size, "validation_data": validation, "callbacks": [best], "verbose": 0}
    began = time.perf_counter()
    for unfrozen, end in phases:
        if model_name == "trial3":
            transfer.set_transferred_trainable(core, unfrozen)  # inside the augmentation wrapper, if any
        phase_optimizer = optimizer_for(optimizer, learning_rate, (end - start) * steps, weight_decay)
        model.compile(optimizer=phase_optimizer, loss=loss, metrics=["accuracy"])
        val_curve += model.fit(x, y, epochs=end, initial_epoch=start, **fit).history["val_accuracy"]
        start = end
    seconds = time.perf_counter() - began
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(model, weights_path)
    curve = [round(float(v), 5) for v in val_curve]
    out = {"val_accuracy": best.best, "kept_epoch": best.epoch, "seconds": seconds, "val_curve": curve}
    if test:
        out["test_accuracy"] = accuracy_on_test(model, data)
    return out


def accuracy_on_test(model, data: dict) -> float:
    return training.accuracy(model, data["x_test"], data["y_test"])


class Study:
    """Stored runs of one data size: the run store ``folder / STORE_FILE``, each run's kept weights in ``folder /
    WEIGHTS_DIR`` (so that a learning-rate candidate becomes its seed's final run)."""

    def __init__(
        self,
        n_train: int,
        folder: Path,
        source=None,
        discriminator_path: Path | None = None,
        tag: str = "real",
        data: dict | None = None,
        inputs: dict | None = None,
    ):
        """``tag`` names the training images when ``data`` are not the real ones (generated digits, ...); ``inputs``:
        what else decides them (the generator's weights digest, ...). Both enter every run's inputs."""
        self.n_train, self.store = n_train, Store(Path(folder) / STORE_FILE)
        self.weights_dir = Path(folder) / WEIGHTS_DIR
        self.discriminator_path = discriminator_path  # trial 3's: the committed DCGAN's unless given
        self.source, self._data, self.tag, self.extra = source, data, tag, dict(inputs or {})

    @property
    def data(self) -> dict:
        if self._data is None:
            self._data = load_data(self.n_train, source=self.source)
        return self._data

    def inputs(self, model_name, optimizer, learning_rate, epochs, seed, augment=False, **recipe) -> dict:
        """Everything that decides one run's result: its store key's source."""
        out = {"part": "protocols", "data": self.tag, **self.extra, "model": model_name, "n_train": self.n_train}
        out |= {"n_val": PROTOCOL_VAL, "optimizer": optimizer, "learning_rate": learning_rate, "epochs": epochs}
        out |= {"seed": seed, "augment": augment, "recipe": dict(sorted({**RECIPE_DEFAULTS, **recipe}.items()))}
        if model_name == "trial3":
            out["discriminator"] = file_digest(self.discriminator_path or config.DISCRIMINATOR_PATH)
        return {**out, **model_fields(classifier(model_name), STUDY_ARCHITECTURE[model_name])}

    def weights_path(self, inputs: dict) -> Path:
        """Where the run with these inputs keeps its weights."""
        i = inputs
        return self.weights_dir / f"{i['model']}_{i['n_train']}_{i['optimizer']}_{i['seed']}_{store_key(i)}.weights.h5"

    def finished(self, model_name, optimizer, learning_rate, epochs, seed, augment=False, **recipe) -> bool:
        """Whether this run is stored with its test score (``run`` would neither train nor read data)."""
        found = self.store.get(self.inputs(model_name, optimizer, learning_rate, epochs, seed, augment, **recipe))
        return found is not None and "test_accuracy" in found

    def run(self, model_name, optimizer, learning_rate, epochs, seed, augment=False, test=True, **recipe) -> dict:
        """The stored run, or a new one stored at once; one stored without its test score (a learning-rate candidate)
        is tested from its saved weights when ``test`` asks for it. ``recipe``: ``train_run``'s regularisation."""
        if unknown := set(recipe) - set(RECIPE_DEFAULTS):
            raise ValueError(f"unknown recipe settings {sorted(unknown)}: use {sorted(RECIPE_DEFAULTS)}")
        recipe = {**RECIPE_DEFAULTS, **recipe}
        changed = {k: v for k, v in recipe.items() if v != RECIPE_DEFAULTS[k]}  # what names a run beyond the first
        inputs = self.inputs(model_name, optimizer, learning_rate, epochs, seed, augment, **recipe)
        cached, weights = self.store.get(inputs), self.weights_path(inputs)
        if cached is not None and (not test or "test_accuracy" in cached):
            return cached
        how = f"{model_name} {self.n_train} {optimizer} lr {learning_rate:g}"
        if cached is not None and weights.is_file():
            model, _ = build_model(
                model_name, augment, seed, self.discriminator_path, recipe["strength"], recipe["dropout"]
            )
            fileio.load_weights(model, weights, f"Delete {weights} to train this run again.")
            cached = self.store.put(inputs, {**cached, "test_accuracy": accuracy_on_test(model, self.data)})
            print(f"{how} seed {seed}: test {cached['test_accuracy']:.4f} (the candidate's kept weights)", flush=True)
            return cached
        args = (model_name, self.data, optimizer, learning_rate, epochs, seed, augment, test, self.discriminator_path)
        result = train_run(*args, weights, **recipe)
        fields = ("data", "model", "n_train", "optimizer", "learning_rate", "epochs", "seed", "augment")
        result.update({k: inputs[k] for k in fields}, **changed)
        cached = self.store.put(inputs, result)
        how += f" {epochs} epochs seed {seed}" + " augmented" * augment
        how += "".join(f" {k} {v:g}" for k, v in changed.items())
        score = f"test {result['test_accuracy']:.4f}, " if test else ""
        print(f"{how}: {score}validation {result['val_accuracy']:.4f}", flush=True)
        return cached


def choose_learning_rate(
    study: Study, model_name: str, optimizer: str, rates, epochs: int, augment: bool = False, seed: int = config.SEED
) -> tuple[float, list[dict]]:
    """Each candidate trained once (seed 42, test set unread); the best validation accuracy wins (ties: the first)."""
    tried = [study.run(model_name, optimizer, rate, epochs, seed, augment, test=False) for rate in rates]
    best = max(range(len(tried)), key=lambda i: tried[i]["val_accuracy"])
    return float(rates[best]), tried


def run_protocols(
    label_sizes=constants.PROTOCOL_DATA_SIZES,
    models=MODELS,
    optimizers=OPTIMIZERS,
    seeds=constants.LABEL_SEEDS,
    epochs: int = config.TRANSFER_EPOCHS,
    folder: Path = PROTOCOLS_DIR,
    source=None,
    learning_rates: dict | None = None,
) -> pd.DataFrame:
    """One row per final (model, data size, optimizer, seed) run, the learning rate chosen at the first data size."""
    rates, rows = learning_rates or LEARNING_RATES, []
    studies = {n: Study(n, folder, source) for n in label_sizes}
    for model_name in models:
        for optimizer in optimizers:
            chosen, _ = choose_learning_rate(studies[label_sizes[0]], model_name, optimizer, rates[optimizer], epochs)
            rows += [studies[n].run(model_name, optimizer, chosen, epochs, seed) for n in label_sizes for seed in seeds]
    return pd.DataFrame(rows)


def recipe_settings(recipe: dict, name: str = "recipe") -> dict:
    """A modern-protocol candidate, checked: ``learning_rate``, ``epochs``, any of ``RECIPE_DEFAULTS`` (filled in)."""
    allowed = {"learning_rate", "epochs", *RECIPE_DEFAULTS}
    if not isinstance(recipe, dict) or not {"learning_rate", "epochs"} <= set(recipe) or set(recipe) - allowed:
        raise ValueError(
            f"{name} must be a dict with learning_rate and epochs and at most {sorted(RECIPE_DEFAULTS)}, got "
            f"{recipe!r}; e.g. {{'learning_rate': 0.001, 'epochs': 30}}"
        )
    learning_rate = checks.positive_float(f"{name} learning_rate", recipe["learning_rate"])
    epochs = checks.integer(f"{name} epochs", recipe["epochs"], 1)
    return {**RECIPE_DEFAULTS, **recipe, "learning_rate": learning_rate, "epochs": epochs}


def choose_recipe(study: Study, model_name: str, recipes, seed: int = config.SEED) -> tuple[dict, pd.DataFrame]:
    """The modern protocol's candidate best on validation (each trained once, seed 42; ties: the first), and a table
    of them."""
    recipes = [recipe_settings(r, f"recipe {i}") for i, r in enumerate(recipes)]
    if not recipes:
        raise ValueError("recipes is empty: give at least one, e.g. [{'learning_rate': 0.001, 'epochs': 30}]")
    tried = [study.run(model_name, "adam", seed=seed, augment=True, test=False, **r) for r in recipes]
    scores = [{k: t[k] for k in ("val_accuracy", "kept_epoch", "seconds")} for t in tried]
    table = pd.DataFrame([{"model": model_name, **r, **s} for r, s in zip(recipes, scores, strict=True)])
    return recipes[int(table["val_accuracy"].to_numpy().argmax())], table


def run_modern(
    models=MODELS,
    seeds=constants.LABEL_SEEDS,
    recipes=constants.MODERN_RECIPES,
    folder: Path = PROTOCOLS_DIR,
    n_train: int = config.SUBSET_SIZE,
    source=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(final runs, candidates)``: the modern protocol, each model's recipe chosen among the same ``recipes``
    (:func:`choose_recipe`), then every seed."""
    study, rows, candidates = Study(n_train, folder, source), [], []
    for model_name in models:
        chosen, table = choose_recipe(study, model_name, recipes)
        candidates.append(table)
        rows += [{**study.run(model_name, "adam", seed=s, augment=True, **chosen), "recipe": chosen} for s in seeds]
    return pd.DataFrame(rows), pd.concat(candidates, ignore_index=True)


def explore_recipes(
    recipes=constants.MODERN_EXPLORED,
    folder: Path = PROTOCOLS_DIR,
    n_train: int = config.SUBSET_SIZE,
    source=None,
    model_name: str = "cnn",
) -> pd.DataFrame:
    """Further recipes tried on one model alone (seed 42, validation only), kept out of :func:`run_modern`'s choice so
    that both models choose among the same candidates."""
    if not recipes:
        return pd.DataFrame()
    return choose_recipe(Study(n_train, folder, source), model_name, recipes)[1]
