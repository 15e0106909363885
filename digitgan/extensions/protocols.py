"""The report's question 2: what do more training images, other optimisers and learning rates, and a modern
training protocol do for the CNN and the transferred discriminator (trial 3)? (``10_data_and_optimizers.ipynb``)

Every choice is made on a validation split (``PROTOCOL_VAL`` training images outside the 10k subset, the same for
10k and 60k images), never on the test set: each optimiser's learning rate (SGD, SGD with momentum 0.9, Adam, each
with a cosine schedule; chosen at 10k, seed 42, and reused at 60k), the epoch kept (the best one, at most the
original's 15; trial 3 frozen for the first 7/15 of them) and the modern protocol's recipe (small random shifts,
rotations and zooms in training and Adam, among ``config.MODERN_RECIPES``; ``RECIPE_DEFAULTS``: what else a
recipe may set). Each run is stored (:mod:`digitgan.store`) as soon as it finishes, its kept weights saved
(``kept_weights/``), and the test set is read once per final model: the chosen learning rate's candidate (seed 42)
is that seed's final run, tested from its kept weights.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from digitgan import checks, config, fileio, gan, training, transfer, utils
from digitgan.data import load_mnist, one_hot, scale_images, subset_indices
from digitgan.models import build_cnn, build_discriminator, with_dropout
from digitgan.store import STORE_FILE, Store, file_digest, model_fields
from digitgan.store import key as store_key

PROTOCOLS_DIR = config.CHECKPOINT_DIR / "protocols"  # 10's run store
PROTOCOL_VAL = 5_000  # 10's validation split: training images outside the 10k subset

# 10's original-protocol grid (its values: digitgan.config, with the notebook's other full-size parameters).
MODELS, OPTIMIZERS, LEARNING_RATES = config.PROTOCOL_MODELS, config.PROTOCOL_OPTIMIZERS, config.PROTOCOL_LEARNING_RATES
WEIGHTS_DIR = "kept_weights"  # every run's kept weights (git-ignored)

# A modern-protocol run's regularisation beyond the learning rate and epochs (``train_run``'s keyword arguments);
# these defaults are the first modern protocol's, and a run with them keeps its first cache key.
RECIPE_DEFAULTS = dict(weight_decay=0.0, label_smoothing=0.0, strength=0.1, batch_size=config.BATCH_SIZE, dropout=0.0)

# store.architecture_digest of classifier(name) as the study's runs were trained (tests hold it equal to today's).
STUDY_ARCHITECTURE = {"cnn": "27d8d28d2fa26c18", "trial3": "d43a76965a3d6f8a"}

_CELL = ["model", "n_train", "optimizer", "augment", "learning_rate"]  # a table's cell: the runs of all seeds


def load_data(n_train: int, n_val: int = PROTOCOL_VAL, source=None) -> dict:
    """``n_train`` = 10,000: the study's subset; 60,000: every training image outside the validation split. The
    validation split is the same for both: ``n_val`` images outside the subset, drawn by ``RandomState(43)``."""
    (x_all, y_all), (x_test, y_test) = load_mnist(source)
    subset = subset_indices(len(x_all), config.SUBSET_SIZE, config.SEED)
    rest = np.setdiff1d(np.arange(len(x_all)), subset)
    val = np.sort(np.random.RandomState(config.SEED + 1).choice(rest, n_val, replace=False))
    if n_train == config.SUBSET_SIZE:
        train = subset
    elif n_train == config.N_TRAIN_FULL:
        train = np.setdiff1d(np.arange(len(x_all)), val)
    else:
        train = subset[: checks.integer("n_train", n_train, 1, config.SUBSET_SIZE)]  # small runs: a prefix
    out = {}
    for split, (x, y) in {"train": (x_all[train], y_all[train]), "val": (x_all[val], y_all[val])}.items():
        out[f"x_{split}"], out[f"y_{split}"] = scale_images(x), y.astype(np.int64)
    return {**out, "x_test": scale_images(x_test), "y_test": y_test.astype(np.int64)}


def augmentation(seed: int, strength: float = RECIPE_DEFAULTS["strength"]) -> keras.Sequential:
    """Small random shifts (up to ``strength`` of the image: 10% = 2.8 pixels), rotations (up to ``strength`` x 100
    degrees) and zooms (up to ``strength``), active in training only; images keep the study's [-1, 1] range (the
    fill is the background, -1)."""
    fill = {"fill_mode": "constant", "fill_value": -1.0, "seed": seed}
    shift = keras.layers.RandomTranslation(strength, strength, **fill)
    rotation = keras.layers.RandomRotation(strength * 100 / 360, **fill)
    return keras.Sequential([shift, rotation, keras.layers.RandomZoom(strength, **fill)], name="augmentation")


def _optimizer(name: str, learning_rate: float, decay_steps: int, weight_decay: float = 0.0):
    """``weight_decay`` (Adam only): decoupled (AdamW), each update shrinks the weights by learning rate x decay."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, decay_steps))
    if weight_decay:
        if name != "adam":
            raise ValueError(f"weight_decay is only used with optimizer 'adam', got {name!r}: set it to 0")
        return keras.optimizers.AdamW(schedule, weight_decay=weight_decay)
    if name == "sgd":
        return keras.optimizers.SGD(schedule)
    return keras.optimizers.SGD(schedule, momentum=0.9) if name == "momentum" else keras.optimizers.Adam(schedule)


def classifier(name: str, discriminator: keras.Model | None = None) -> keras.Model:
    """A classifier of the study: the CNN, or trial 3's on ``discriminator`` (an untrained one by default: a fresh
    classifier's architecture is what a key names)."""
    if name == "cnn":
        return build_cnn()
    discriminator = build_discriminator() if discriminator is None else discriminator
    return transfer.discriminator_to_classifier(discriminator, config.trial_schedule("trial3")[0], freeze=True)


def build_model(
    name: str,
    augment: bool,
    seed: int,
    discriminator_path: Path | None = None,
    strength: float = RECIPE_DEFAULTS["strength"],
    dropout: float = RECIPE_DEFAULTS["dropout"],
):
    """``(model to train, the classifier inside it)``: the same model unless augmented (a wrapper); trial 3 starts
    from the discriminator at ``discriminator_path`` (the study's by default); ``dropout``: on the inputs of its
    Dense layers (``models.with_dropout``)."""
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
    """One run: at most ``epochs`` epochs, the epoch with the best validation accuracy kept (its weights saved to
    ``weights_path``, so that it can be tested later without training again); with ``test``, that model's test
    accuracy (its one reading of the test set). The recipe: ``weight_decay`` (AdamW's), ``label_smoothing`` (of the
    training loss), ``strength`` (of the augmentation), ``batch_size``, ``dropout`` (on the Dense layers' inputs)."""
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
    frozen = config.trial_schedule("trial3")[1]
    frozen_epochs = round(frozen * epochs / config.TRANSFER_EPOCHS) if model_name == "trial3" else 0
    phases = [(False, frozen_epochs), (True, epochs)] if frozen_epochs else [(True, epochs)]
    best, start, val_curve = training.BestWeights(), 0, []
    x, y, validation = data["x_train"], one_hot(data["y_train"]), (data["x_val"], one_hot(data["y_val"]))
    began = time.perf_counter()
    for unfrozen, end in phases:
        if model_name == "trial3":
            transfer.set_transferred_trainable(core, unfrozen)  # inside the augmentation wrapper, if any
        phase_optimizer = _optimizer(optimizer, learning_rate, (end - start) * steps, weight_decay)
        model.compile(optimizer=phase_optimizer, loss=loss, metrics=["accuracy"])
        fit = {"batch_size": batch_size, "validation_data": validation, "callbacks": [best], "verbose": 0}
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
    """Stored runs of one data size (the run store ``folder / store.STORE_FILE``; each run's kept weights in
    ``folder / WEIGHTS_DIR``, git-ignored, so that a learning-rate candidate becomes its seed's final run)."""

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
        """``tag`` names the training images when they are not the real ones (``data`` given: generated digits,
        real + generated, ...); ``inputs``: what else decides those images (the generator's weights digest, how
        they were drawn). Both are part of every run's inputs, with trial 3's discriminator digest."""
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
        """The stored run, or a new one stored at once. A run stored without its test score (a learning-rate
        candidate) is tested from its saved weights when ``test`` asks for it, not trained again. ``recipe``:
        ``train_run``'s regularisation (``RECIPE_DEFAULTS`` where not given)."""
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
    """Each candidate trained once (seed 42, test set unread); the best validation accuracy wins (ties: the
    first)."""
    tried = [study.run(model_name, optimizer, rate, epochs, seed, augment, test=False) for rate in rates]
    best = max(range(len(tried)), key=lambda i: tried[i]["val_accuracy"])
    return float(rates[best]), tried


def run_protocols(
    label_sizes=config.PROTOCOL_DATA_SIZES,
    models=MODELS,
    optimizers=OPTIMIZERS,
    seeds=config.LABEL_SEEDS,
    epochs: int = config.TRANSFER_EPOCHS,
    folder: Path = PROTOCOLS_DIR,
    source=None,
    learning_rates: dict | None = None,
) -> pd.DataFrame:
    """Every (model, data size, optimizer, seed) with the learning rate chosen at the first data size; one row per
    final run (the test accuracy read once each)."""
    rates, rows = learning_rates or LEARNING_RATES, []
    studies = {n: Study(n, folder, source) for n in label_sizes}
    for model_name in models:
        for optimizer in optimizers:
            chosen, _ = choose_learning_rate(studies[label_sizes[0]], model_name, optimizer, rates[optimizer], epochs)
            rows += [studies[n].run(model_name, optimizer, chosen, epochs, seed) for n in label_sizes for seed in seeds]
    return pd.DataFrame(rows)


def recipe_settings(recipe: dict, name: str = "recipe") -> dict:
    """A modern-protocol candidate, checked: ``learning_rate`` and ``epochs``, and any of ``RECIPE_DEFAULTS``'
    settings (the defaults filled in)."""
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
    """The modern protocol's candidate with the best validation accuracy, each trained once (seed 42, the test set
    unread; ties: the first); one row per candidate."""
    recipes = [recipe_settings(r, f"recipe {i}") for i, r in enumerate(recipes)]
    if not recipes:
        raise ValueError("recipes is empty: give at least one, e.g. [{'learning_rate': 0.001, 'epochs': 30}]")
    tried = [study.run(model_name, "adam", seed=seed, augment=True, test=False, **r) for r in recipes]
    scores = [{k: t[k] for k in ("val_accuracy", "kept_epoch", "seconds")} for t in tried]
    table = pd.DataFrame([{"model": model_name, **r, **s} for r, s in zip(recipes, scores, strict=True)])
    return recipes[int(table["val_accuracy"].to_numpy().argmax())], table


def run_modern(
    models=MODELS,
    seeds=config.LABEL_SEEDS,
    recipes=config.MODERN_RECIPES,
    folder: Path = PROTOCOLS_DIR,
    n_train: int = config.SUBSET_SIZE,
    source=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The modern protocol on the 10k subset: each model's recipe chosen on the validation split among the same
    ``recipes`` (:func:`choose_recipe`), then every seed. ``(final runs, every candidate's validation result)``."""
    study, rows, candidates = Study(n_train, folder, source), [], []
    for model_name in models:
        chosen, table = choose_recipe(study, model_name, recipes)
        candidates.append(table)
        rows += [{**study.run(model_name, "adam", seed=s, augment=True, **chosen), "recipe": chosen} for s in seeds]
    return pd.DataFrame(rows), pd.concat(candidates, ignore_index=True)


def explore_recipes(
    recipes=config.MODERN_EXPLORED,
    folder: Path = PROTOCOLS_DIR,
    n_train: int = config.SUBSET_SIZE,
    source=None,
    model_name: str = "cnn",
) -> pd.DataFrame:
    """Further recipes tried on one model alone (seed 42, validation only, cached like every run): what else was
    tried, kept out of :func:`run_modern`'s choice so that both models choose among the same candidates."""
    if not recipes:
        return pd.DataFrame()
    return choose_recipe(Study(n_train, folder, source), model_name, recipes)[1]


def versions_tried(modern: pd.DataFrame, folder: Path = PROTOCOLS_DIR) -> list[dict]:
    """Every modern-protocol recipe whose runs were scored on the test set (from the run store), per model: each
    seed's test accuracy, the mean and whether it is the one reported (``modern``: :func:`run_modern`'s runs). Recipes
    without dropout were scored before the candidates were widened to it, so they are recorded beside the reported."""

    def recipe_key(recipe: dict) -> tuple:
        return tuple(sorted({**RECIPE_DEFAULTS, **recipe}.items()))

    reported = {(r["model"], recipe_key(r["recipe"])) for _, r in modern.iterrows()}
    versions = {}
    for record in Store(Path(folder) / STORE_FILE).records().values():
        i, result = record["inputs"], record["result"]
        if i.get("augment") and i.get("data") == "real" and result.get("test_accuracy") is not None:
            recipe = recipe_key({**i["recipe"], "learning_rate": i["learning_rate"], "epochs": i["epochs"]})
            versions.setdefault((i["model"], recipe), {})[str(i["seed"])] = result["test_accuracy"]
    return [
        {
            "result": f"{model}, modern protocol",
            "recipe": dict(recipe),
            "reported": (model, recipe) in reported,
            "test": dict(sorted(seeds.items())),
            "test_mean": float(np.mean(list(seeds.values()))),
        }
        for (model, recipe), seeds in sorted(versions.items())
    ]


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per model, data size, optimizer and protocol: mean, std (ddof 1), runs; the learning rate."""
    return utils.seed_stats(runs.groupby(_CELL)["test_accuracy"]).reset_index()


def seed_summary(runs: pd.DataFrame) -> dict:
    """Runs' test accuracy over their seeds: ``mean``, ``std`` (ddof 1; None for one run), ``runs``, ``by_seed``."""
    acc = runs["test_accuracy"].to_numpy()
    std = float(acc.std(ddof=1)) if len(acc) > 1 else None
    by_seed = {str(int(s)): float(a) for s, a in zip(runs["seed"], acc, strict=True)}
    return {"mean": float(acc.mean()), "std": std, "runs": len(acc), "by_seed": by_seed}


def to_results(
    runs: pd.DataFrame,
    modern: pd.DataFrame,
    learning_rates: dict | None = None,
    candidates: pd.DataFrame | None = None,
    explored: pd.DataFrame | None = None,
) -> dict:
    """What results.json records under ``future_work`` -> ``protocols``: per model, data size, optimizer and protocol
    the learning rate chosen among those tried (``learning_rates``; the modern protocol's: its ``candidates``, a
    table recorded too, and its recipe) and the test accuracy's :func:`seed_summary`; ``explored``: another table."""
    tried = {("original", o): [float(r) for r in rates] for o, rates in (learning_rates or LEARNING_RATES).items()}
    if candidates is not None and len(candidates):
        tried[("modern", "adam")] = sorted({float(r) for r in candidates["learning_rate"]})
    cells = []
    for frame in (runs, modern):
        for (model, n, opt, aug, rate), part in frame.groupby(_CELL):
            protocol = "modern" if aug else "original"
            cell = {"model": model, "n_train": int(n), "optimizer": opt, "protocol": protocol}
            cell |= {"learning_rate": float(rate), "learning_rates_tried": tried.get((protocol, opt))}
            cell |= {**seed_summary(part), "kept_epochs": [int(e) for e in part["kept_epoch"]]}
            if aug and "recipe" in part:
                cell["recipe"] = part["recipe"].iloc[0]
            cells.append(cell)
    return {
        "runs": cells,
        "n_val": PROTOCOL_VAL,
        "modern_candidates": [] if candidates is None else candidates.to_dict("records"),
        "modern_explored": [] if explored is None else explored.to_dict("records"),
    }
