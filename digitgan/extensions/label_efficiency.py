"""Notebook 08's label study: test accuracy against the number of labelled images (100, 1,000 and 10,000) for the
CNN, trial 3's transferred discriminator, PCA + KNN and the semi-supervised GAN, each gradient-trained method given
the same budget at every label count (docs/extensions.md: the methods, their budgets, how the comparison is fair).

For a given ``(n_labels, seed)`` every method sees the same labelled images and validation split
(:func:`digitgan.data.load_label_efficiency_data`); every choice is made on the validation split and the test set is
read once per final model. Each run is stored (:mod:`digitgan.store`) as soon as it finishes, under its method, label
count, seed and every setting that shapes it (:func:`settings`): an interrupted study resumes, a rerun reuses what
exists, and other settings train anew.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, compare, config, fileio, gan, training, transfer, utils
from digitgan.extensions import ssgan
from digitgan.models import build_cnn
from digitgan.store import Store, file_digest, model_fields

CLASSIFIER_ROUND = 100  # updates between two validation checks of the CNN and trial 3
WEIGHTS_DIR = config.CHECKPOINT_DIR / config.MATCHED_WEIGHTS_NAME  # kept weights of the label study's runs (committed)

METHODS = config.LABEL_EFFICIENCY_METHODS
MATCHED = "cnn_matched"  # the compute-matched CNN (digitgan.extensions.matched_cnn), every update trained
MATCHED_NAME = "CNN (modern recipe, the semi-supervised GAN's updates)"
MATCHED_EARLY = "cnn_matched_early"  # the same CNN stopped early (matched_cnn.PATIENCE checks without progress)
NAMES = {
    **config.LABEL_EFFICIENCY_NAMES,
    MATCHED: MATCHED_NAME,
    MATCHED_EARLY: f"{MATCHED_NAME[:-1]}, stopped early)",
}  # tables, figures


def settings(
    method: str,
    n_labels: int,
    ssgan_epochs: int | None = None,
    n_unlabelled: int | None = None,
    learning_rate: float | None = None,
    n_val: int = config.LABEL_EFFICIENCY_VAL,
    classifier_updates: int | None = None,
    discriminator_path: Path | None = None,
    ssgan_patience: int | None = ssgan.PATIENCE,
    classifier_round: int = CLASSIFIER_ROUND,
) -> dict:
    """Every setting that shapes one run's result besides ``(method, n_labels, seed)``: the rest of its store key.
    ``classifier_updates``: the CNN's and trial 3's budget (default ``config.CLASSIFIER_UPDATES``), a multiple of
    ``classifier_round``, the updates between two validation checks (:func:`epoch_budget`: one epoch). Trial 3's key
    holds the digest of its discriminator (default ``config.DISCRIMINATOR_PATH``). ``ssgan_patience``: the SSGAN stops
    after that many epochs without a better validation accuracy (``None``: never). ``ssgan_epochs``,
    ``n_unlabelled``, ``learning_rate``: ``None`` is the study's value; 0 or another bad value is an error naming the
    parameter, never the default."""
    checks.choice("method", method, METHODS)
    checks.integer("n_labels", n_labels, config.NUM_CLASSES, config.N_TRAIN_FULL)
    checks.integer("n_val", n_val, config.NUM_CLASSES)
    if method == "pca_knn":
        return {"n_val": n_val, "components": list(config.PCA_COMPONENTS), "k": list(config.KNN_KS)}
    if method == "ssgan":  # values are checked and kept as given
        if ssgan_epochs is not None:
            checks.integer("ssgan_epochs", ssgan_epochs, 1)
        if learning_rate is not None:
            checks.learning_rate(learning_rate)
        if n_unlabelled is not None:
            checks.integer("n_unlabelled", n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL)
        epochs = config.SSGAN_EPOCHS if ssgan_epochs is None else ssgan_epochs
        return {
            "n_val": n_val,
            "epochs": epochs,
            "patience": None if ssgan_patience is None else checks.integer("ssgan_patience", ssgan_patience, 1),
            "decay_start": round(ssgan.DECAY_FRACTION * epochs),
            "learning_rate": ssgan.LEARNING_RATE if learning_rate is None else learning_rate,
            "ema_decay": ssgan.EMA_DECAY,
            "batch_size": config.BATCH_SIZE,
            "n_unlabelled": config.N_TRAIN_FULL if n_unlabelled is None else n_unlabelled,
            "step": "fused",  # ssgan's one training step; part of the stored runs' keys
            "xla": config.SSGAN_XLA,
            "keep": "best validation epoch, averaged or raw weights",
        }
    updates = config.CLASSIFIER_UPDATES if classifier_updates is None else classifier_updates
    every = checks.integer("classifier_round", classifier_round, 1)
    checks.integer("classifier_updates", updates, every)
    if updates % every:
        raise ValueError(f"classifier_updates={updates} must be a multiple of the validation round, {every}")
    from digitgan.extensions import protocols

    out = {
        "n_val": n_val,
        "updates": updates,
        "round": every,
        "learning_rate": config.SGD_LEARNING_RATE,
        "batch_size": config.BATCH_SIZE,
        "keep": "best validation round",
        **model_fields(protocols.classifier(method), protocols.STUDY_ARCHITECTURE[method]),
    }
    if method == "trial3":
        head, frozen = config.trial_schedule("trial3")
        out.update(
            head=head,
            frozen_rounds=round(frozen * (updates // every) / config.TRANSFER_EPOCHS),
            discriminator_sha256=_file_digest(discriminator_path or config.DISCRIMINATOR_PATH),
        )
    return out


def epoch_budget(n_labels: int, epochs: int = config.TRANSFER_EPOCHS) -> dict:
    """The original protocol's budget at ``n_labels`` for :func:`settings`: ``epochs`` passes over the labelled images
    in batches of ``config.BATCH_SIZE``, checked after every epoch (at 10,000 labels, the 1,500-update budget)."""
    per_epoch = -(-checks.integer("n_labels", n_labels, config.NUM_CLASSES) // config.BATCH_SIZE)
    return {"classifier_updates": checks.integer("epochs", epochs, 1) * per_epoch, "classifier_round": per_epoch}


def n_updates(method: str, n_labels: int, run_settings: dict) -> int | None:
    """A run's budget in gradient updates (the SSGAN's: epochs x batches of its unlabelled images, at most, when it
    stops early); ``None`` for PCA + KNN."""
    if method == "pca_knn":
        return None
    if method == "ssgan":
        return run_settings["epochs"] * (run_settings["n_unlabelled"] // run_settings["batch_size"])
    return run_settings["updates"]


def _file_digest(path: Path) -> str | None:
    path = Path(path)
    return file_digest(path) if path.is_file() else None


def _digest(run_settings: dict) -> str:
    return hashlib.sha256(fileio.dumps(run_settings, sort_keys=True).encode()).hexdigest()[:8]


def run_inputs(method: str, n_labels: int, seed: int, run_settings: dict) -> dict:
    """What decides one run's result (its store key's source); the seed draws its images and validation split."""
    return {"part": "label study", "method": method, "n_labels": n_labels, "seed": seed, "settings": run_settings}


def ssgan_dir(n_labels: int, seed: int, run_settings: dict, root: Path | None = None) -> Path:
    """Where one SSGAN run's training state lives: ``<root>/labels<N>_seed<S>_<hash of the settings>``."""
    return Path(root or ssgan.CHECKPOINT_DIR) / f"labels{n_labels}_seed{seed}_{_digest(run_settings)}"


def _fit_kwargs(best, run_settings: dict, seed: int) -> dict:
    """The CNN's and trial 3's rounds: each checked on the validation split, the best one's weights kept."""
    return dict(verbose=0, callbacks=[best], validate="val", steps_per_epoch=run_settings["round"], seed=seed)


def _run_cnn(data: dict, seed: int, run_settings: dict, test: bool = True, weights_path: Path | None = None) -> dict:
    s = run_settings
    utils.set_seed(seed)
    model = training.compile_classifier(build_cnn(), s["learning_rate"])
    best = training.BestWeights()
    start = time.perf_counter()
    history = training.fit_classifier(
        model, data, s["updates"] // s["round"], s["batch_size"], **_fit_kwargs(best, s, seed)
    )
    return _classifier_result(model, data, best, history, time.perf_counter() - start, test, weights_path)


def run_trial3(
    data: dict, seed: int, run_settings: dict, test: bool = True, discriminator_path=None, weights_path=None
) -> dict:
    s, path = run_settings, Path(discriminator_path or config.DISCRIMINATOR_PATH)
    if _file_digest(path) != s["discriminator_sha256"]:
        raise ValueError(
            f"{path} is not the discriminator these settings name: build them with settings(..., "
            f"discriminator_path={str(path)!r})"
        )
    discriminator = gan.load_discriminator(path)
    utils.set_seed(seed)
    model = transfer.discriminator_to_classifier(discriminator, head=s["head"], freeze=True)
    best = training.BestWeights()
    rounds = s["updates"] // s["round"]
    run = transfer.train_schedule(
        model, data, s["frozen_rounds"], rounds, s["learning_rate"], s["batch_size"], **_fit_kwargs(best, s, seed)
    )
    return _classifier_result(model, data, best, run["history"], run["seconds"], test, weights_path)


def _classifier_result(model, data, best, history, seconds, test: bool, weights_path: Path | None) -> dict:
    """What the study records of a CNN or trial-3 run, its best round's weights restored (and saved to
    ``weights_path``, if given: ``digitgan.extensions.kept``)."""
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(model, weights_path)
    out = {
        "val_accuracy": best.best,
        "kept_round": best.epoch,
        "val_curve": _curve(history["val_accuracy"]),
        "seconds": seconds,
    }
    if test:
        out["test_accuracy"] = training.accuracy(model, data["x_test"], data["y_test"])
    return out


def _curve(values) -> list[float]:
    return [round(float(v), 5) for v in values]


def run_pca_knn(data: dict, seed: int, run_settings: dict, test: bool = True) -> dict:
    checks.labelled(data, ("train", "val") + (("test",) if test else ()))
    start = time.perf_counter()
    x, y = data["x_train"], data["y_train"]
    best = compare.select_pca_knn(
        x, y, run_settings["components"], run_settings["k"], x_val=data["x_val"], y_val=data["y_val"]
    )
    out = {"val_accuracy": best["val_accuracy"], "n_components": best["n_components"], "k": best["k"]}
    if test:
        row = compare.fit_predict_timed(best["n_components"], best["k"], x, y, data["x_test"], data["y_test"])
        out["test_accuracy"] = row["accuracy"]
    return {**out, "seconds": time.perf_counter() - start}


def train_ssgan_run(data: dict, seed: int, run_settings: dict, root: Path | None = None, log_dir: Path | None = None):
    """``(model, history)`` of one SSGAN run with these settings: trained, resumed, or its finished state reloaded
    (``ssgan_dir``)."""
    s = run_settings
    recipe = {key: s[key] for key in ("epochs", "batch_size", "learning_rate", "decay_start", "ema_decay", "patience")}
    state = ssgan_dir(len(data["y_train"]), seed, s, root)
    return ssgan.train_ssgan(
        data, seed=seed, verbose=0, jit_compile=s["xla"], log_dir=log_dir, checkpoint_dir=state, **recipe
    )


def _run_ssgan(data: dict, seed: int, run_settings: dict, test: bool = True, root=None, log_dir=None) -> dict:
    model, history = train_ssgan_run(data, seed, run_settings, root, log_dir)
    return ssgan_result(model, history, data, run_settings, test)


def ssgan_result(model, history: dict, data: dict, run_settings: dict, test: bool = True) -> dict:
    """What the study records of a trained SSGAN; with ``test``, its kept weights' test accuracy."""
    trained = len(history["epoch_seconds"])
    out = {
        "val_accuracy": history["best"]["val_accuracy"],
        "kept_epoch": history["best"]["epoch"],
        "kept_weights": history["best"]["weights"],
        "epochs_trained": trained,
        "updates_trained": trained * (len(data["x_unlabelled"]) // run_settings["batch_size"]),
        "seconds": float(sum(history["epoch_seconds"])),
        "val_curve": _curve(history["val_accuracy"]),
        "val_curve_raw": _curve(history["val_accuracy_raw"]),
    }
    if test:
        out["test_accuracy"] = training.accuracy(model.best_discriminator, data["x_test"], data["y_test"])
    return out


RUNNERS = {"cnn": _run_cnn, "trial3": run_trial3, "pca_knn": run_pca_knn, "ssgan": _run_ssgan}


@dataclass
class Study:
    """Where :func:`run_study`'s runs are stored and what they read (its ``where``): new results go to ``cache_path``
    (default the study's store); ``also_read``: other stores to find them in (a scratch run reads the study's);
    ``source``: where MNIST is read; ``n_unlabelled`` (small test runs only) keeps the first that many unlabelled
    images; ``n_val``: the validation split's size; SSGAN training states go under ``ssgan_root`` (default
    ``checkpoints/ssgan``), their TensorBoard logs to ``log_root(name)`` (``Run.log_dir``) if given."""

    cache_path: Path | None = None
    also_read: tuple[Path, ...] = ()
    source: Path | str | None = None
    n_unlabelled: int | None = None
    n_val: int = config.LABEL_EFFICIENCY_VAL
    ssgan_root: Path | None = None
    log_root: Callable[[str], Path] | None = None

    def __post_init__(self):
        if self.n_unlabelled is not None:
            self.n_unlabelled = checks.integer(
                "n_unlabelled", self.n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL
            )
        self.n_val = checks.integer("n_val", self.n_val, config.NUM_CLASSES)
        self.store = Store(self.cache_path or config.LABEL_EFFICIENCY_CACHE, self.also_read)
        self._data_key, self._data = None, None

    def data(self, n_labels: int, seed: int) -> dict:
        """The arrays of ``(n_labels, seed)``, kept for the next run of the same images."""
        from digitgan.data import load_label_efficiency_data

        if self._data_key != (n_labels, seed):
            d = load_label_efficiency_data(n_labels, seed, self.source, n_val=self.n_val)
            d["x_unlabelled"] = d["x_unlabelled"][: self.n_unlabelled]
            self._data_key, self._data = (n_labels, seed), d
        return self._data

    def run(self, method: str, n_labels: int, seed: int, run_settings: dict, test=True, discriminator_path=None):
        """The stored result, or a new run (trained, or its finished state reloaded to be tested) stored at once.
        ``discriminator_path``: trial 3's, when it is not the study's (``settings`` must name the same file)."""
        inputs = run_inputs(method, n_labels, seed, run_settings)
        cached = self.store.get(inputs)
        if cached is not None and (not test or "test_accuracy" in cached):
            return cached
        kwargs = {}
        if method == "ssgan":
            name = f"ssgan-{n_labels}labels-seed{seed}-lr{run_settings['learning_rate']:g}"
            kwargs = {"root": self.ssgan_root, "log_dir": self.log_root(name) if self.log_root else None}
        elif method == "trial3" and discriminator_path is not None:
            kwargs = {"discriminator_path": discriminator_path}
        started = time.perf_counter()
        result = RUNNERS[method](self.data(n_labels, seed), seed, run_settings, test=test, **kwargs)
        # trained before without its test score: it keeps its first wall time
        result["wall_seconds"] = time.perf_counter() - started if cached is None else cached["wall_seconds"]
        result["settings"] = run_settings
        result = self.store.put(inputs, result)
        score = f"test accuracy {result['test_accuracy']:.4f}, " if test else ""
        print(
            f"{NAMES[method]:30s} {n_labels:6d} labels, seed {seed}: {score}validation "
            f"{result['val_accuracy']:.4f} ({result['wall_seconds']:.0f} s)",
            flush=True,
        )
        return result

    def row(self, method: str, n_labels: int, seed: int, run_settings: dict) -> dict:
        """One run's row of a study table: its result and its budget (:func:`n_updates`)."""
        result = self.run(method, n_labels, seed, run_settings)
        budget = n_updates(method, n_labels, run_settings)
        return {"method": method, "n_labels": n_labels, "seed": seed, **result, "n_updates": budget}


def describe_splits(label_counts, seeds, n_val: int = config.LABEL_EFFICIENCY_VAL, source=None) -> pd.DataFrame:
    """One row per ``(n_labels, seed)``: the first labelled indices, the images per digit of the labelled subset
    and of its validation split, and that the two do not overlap (what every run of the study trains on)."""
    from digitgan.data import label_subset_indices, load_mnist, validation_indices

    (_, y_all), _ = load_mnist(source)
    rows = []
    for n in label_counts:
        for seed in seeds:
            idx = label_subset_indices(y_all, n, seed)
            val = validation_indices(y_all, idx, n_val, seed)
            per, per_val = np.bincount(y_all[idx], minlength=10), np.bincount(y_all[val], minlength=10)
            rows.append(
                {
                    "labels": n,
                    "seed": seed,
                    "first indices": idx[:3].tolist(),
                    "per digit": f"{per.min()}-{per.max()}",
                    "validation per digit": f"{per_val.min()}-{per_val.max()}",
                    "overlap": len(np.intersect1d(idx, val)),
                }
            )
    return pd.DataFrame(rows)


def choose_ssgan_learning_rate(
    n_labels: int,
    seed: int,
    rates=config.SSGAN_LEARNING_RATES,
    ssgan_epochs: int = config.SSGAN_SWEEP_EPOCHS,
    ssgan_patience: int | None = config.SSGAN_SWEEP_PATIENCE,
    **where,
) -> tuple[float, pd.DataFrame]:
    """Train the SSGAN at ``(n_labels, seed)`` once per learning rate (stored runs reused), each with the sweep's
    budget (shorter than a study run), and keep the one best on validation (ties: the first); the test set is not
    read. Returns ``(learning rate, table of the candidates)``. ``where``: see :class:`Study`."""
    rates = [checks.positive_float("learning rate", r) for r in rates]
    if not rates:
        raise ValueError("rates must hold at least one learning rate")
    study = Study(**where)
    rows = []
    for rate in rates:
        s = settings(
            "ssgan", n_labels, ssgan_epochs, study.n_unlabelled, rate, study.n_val, ssgan_patience=ssgan_patience
        )
        r = study.run("ssgan", n_labels, seed, s, test=False)
        rows.append(
            {
                "learning_rate": rate,
                "val_accuracy": r["val_accuracy"],
                **{key: r.get(key) for key in ("kept_epoch", "kept_weights", "epochs_trained")},
                "max_epochs": s["epochs"],
                "minutes": round(r["seconds"] / 60, 1),
                "val_curve": r.get("val_curve", []),
            }
        )
    table = pd.DataFrame(rows)
    chosen = float(table.loc[table["val_accuracy"].idxmax(), "learning_rate"])
    table["chosen"] = table["learning_rate"] == chosen
    return chosen, table


def run_study(
    label_counts=config.LABEL_COUNTS,
    seeds=config.LABEL_SEEDS,
    methods=METHODS,
    ssgan_epochs: int | None = None,
    ssgan_learning_rate: float | None = None,
    classifier_updates: int | None = None,
    ssgan_patience: int | None = ssgan.PATIENCE,
    sweep_epochs: int = config.SSGAN_SWEEP_EPOCHS,
    sweep_patience: int | None = config.SSGAN_SWEEP_PATIENCE,
    **where,
) -> pd.DataFrame:
    """Every (method, label count, seed) run, reusing stored ones; one row per run. ``ssgan_learning_rate=None``
    chooses it with :func:`choose_ssgan_learning_rate` at the first label count and seed (runs of ``sweep_epochs``
    stopped by ``sweep_patience``). ``where``: where the runs are kept and what they read (:class:`Study`), the same
    for the choice's runs; the other arguments as in :func:`settings`."""
    label_counts = [
        checks.integer("label_counts entry", n, config.NUM_CLASSES, config.N_TRAIN_FULL) for n in label_counts
    ]
    if not label_counts:
        raise ValueError("label_counts must hold at least one label count")
    seeds = [checks.seed(s, "seeds entry") for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    methods = checks.choices("methods", methods, METHODS)
    if ssgan_epochs is not None:
        ssgan_epochs = checks.integer("ssgan_epochs", ssgan_epochs, 1)
    study = Study(**where)  # checks n_unlabelled and n_val
    if classifier_updates is not None:  # checked before anything trains
        settings("trial3", label_counts[0], classifier_updates=classifier_updates)
    if "ssgan" in methods and ssgan_learning_rate is None:
        ssgan_learning_rate, _ = choose_ssgan_learning_rate(
            label_counts[0], seeds[0], ssgan_epochs=sweep_epochs, ssgan_patience=sweep_patience, **where
        )
    ssgan_args = dict(ssgan_epochs=ssgan_epochs, n_unlabelled=study.n_unlabelled, learning_rate=ssgan_learning_rate)
    budget = dict(n_val=study.n_val, classifier_updates=classifier_updates, ssgan_patience=ssgan_patience)
    rows = [
        study.row(method, n, seed, settings(method, n, **ssgan_args, **budget))
        for n in label_counts
        for seed in seeds
        for method in methods
    ]
    return pd.DataFrame(rows)


def run_epoch_arm(label_counts=config.LABEL_COUNTS, seeds=config.LABEL_SEEDS, **where) -> pd.DataFrame:
    """The CNN and trial 3 at the original's budget (:func:`epoch_budget`: 15 epochs at every label count), stored
    with :func:`run_study`'s runs (10,000 labels reuses the study's 1,500-update runs)."""
    study = Study(**where)
    rows = []
    for n_labels in label_counts:
        for seed in [checks.seed(s, "seeds entry") for s in seeds]:
            for method in ("cnn", "trial3"):
                s = settings(method, n_labels, n_val=study.n_val, **epoch_budget(n_labels))
                rows.append(study.row(method, n_labels, seed, s))
    return pd.DataFrame(rows)


def transfer_vs_scratch(runs: pd.DataFrame) -> dict:
    """Per label count: trial 3's test accuracy minus the CNN's of the same seeds (paired t-test,
    :func:`digitgan.utils.difference`), with the budget both had in updates."""
    out = {}
    for n_labels in sorted(runs["n_labels"].unique()):
        part = runs[(runs["n_labels"] == n_labels) & runs["method"].isin(("trial3", "cnn"))]
        trial3, cnn = (part[part["method"] == m].set_index("seed")["test_accuracy"] for m in ("trial3", "cnn"))
        seeds = sorted(set(trial3.index) & set(cnn.index))
        if len(seeds) > 1:
            test = utils.difference(trial3[seeds].tolist(), cnn[seeds].tolist(), paired=True)
            out[str(int(n_labels))] = {**test, "n_updates": int(part["n_updates"].max())}
    return out


def versions_tried(cache_path: Path | None = None, reported_epochs: int = config.SSGAN_EPOCHS) -> list[dict]:
    """Every SSGAN budget whose runs were scored on the test set, from the run store: epochs, early-stopping
    patience, per label count each seed's test accuracy and the test and validation means, and whether it is the one
    reported. The 50-epoch budget's test means were seen before the budget was raised to 90 epochs, so both are
    recorded; so are the first trainings of runs retrained to keep their weights (``kept.keep_ssgan``)."""
    versions = {}  # (epochs, patience, first training) -> {n_labels: {seed: (test, validation)}}
    for record in Store(cache_path or config.LABEL_EFFICIENCY_CACHE).records().values():
        inputs, result = record["inputs"], record["result"]
        if inputs.get("method") != "ssgan" or "test_accuracy" not in result:
            continue
        s, n, seed = inputs["settings"], str(inputs["n_labels"]), str(inputs["seed"])
        trainings = [(False, result)] + ([(True, result["first_training"])] if "first_training" in result else [])
        for first, r in trainings:
            cells = versions.setdefault((s["epochs"], s.get("patience"), first), {})
            cells.setdefault(n, {})[seed] = (r["test_accuracy"], r["val_accuracy"])
    out = []
    for (epochs, patience, first), cells in sorted(versions.items()):
        cells = dict(sorted(cells.items(), key=lambda item: int(item[0])))
        version = f"{epochs} epochs" + (f", stopped after {patience} epochs without progress" if patience else "")
        if first:
            version += ", first training (retrained with the same recipe and seed to keep its weights)"
        out.append(
            {
                "result": "semi-supervised GAN",
                "version": version,
                "reported": epochs == reported_epochs and not first,
                "test": {n: {seed: t for seed, (t, _) in sorted(c.items())} for n, c in cells.items()},
                "test_mean": {n: float(np.mean([t for t, _ in c.values()])) for n, c in cells.items()},
                "val_mean": {n: float(np.mean([v for _, v in c.values()])) for n, c in cells.items()},
            }
        )
    return out


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of the test accuracy per method and label count, the run count, the mean
    validation accuracy and the runs' budget (``n_updates``, missing for PCA + KNN)."""
    grouped = runs.groupby(["method", "n_labels"])
    table = utils.seed_stats(grouped["test_accuracy"]).reset_index()
    table["val_mean"] = grouped["val_accuracy"].mean().to_numpy()
    if "n_updates" in runs:
        table["n_updates"] = grouped["n_updates"].max().to_numpy()
    order = (*METHODS, MATCHED, MATCHED_EARLY)
    table["method"] = pd.Categorical(table["method"], [m for m in order if m in set(table["method"])])
    return table.sort_values(["method", "n_labels"]).reset_index(drop=True)


_RECORD_KEYS = ("method", "n_labels", "seed", "test_accuracy", "val_accuracy", "n_updates", "seconds", "wall_seconds")
_EXTRA_KEYS = ("kept_round", "kept_epoch", "kept_weights", "epochs_trained", "updates_trained", "n_components", "k")


def to_results(runs: pd.DataFrame, table: pd.DataFrame, ssgan_sweep: pd.DataFrame | None = None) -> dict:
    """What results.json records under ``"label_efficiency"``: the summary, every run, the SSGAN's learning-rate
    choice (if given) and the settings."""
    summary = {
        method: {
            str(int(row.n_labels)): {
                "mean": float(row["mean"]),
                "std": None if pd.isna(row["std"]) else float(row["std"]),
                "runs": int(row.runs),
                "val_mean": float(row["val_mean"]),
                "n_updates": None if pd.isna(row.get("n_updates")) else int(row["n_updates"]),
            }
            for _, row in part.iterrows()
        }
        for method, part in table.groupby("method", observed=True)
    }
    records = []
    for _, run in runs.iterrows():
        record = {key: run[key] for key in _RECORD_KEYS}
        extra = {key: run[key] for key in _EXTRA_KEYS if key in run and not pd.isna(run[key])}
        record.update({key: value if isinstance(value, str) else int(value) for key, value in extra.items()})
        record["n_updates"] = None if pd.isna(record["n_updates"]) else int(record["n_updates"])
        records.append(json_ready(record))
    out = {
        "summary": summary,
        "runs": records,
        "wall_seconds_total": float(runs["wall_seconds"].sum()),
        "n_val": int(runs["settings"].iloc[0]["n_val"]),
        "settings": {m: runs.loc[runs["method"] == m, "settings"].iloc[0] for m in runs["method"].unique()},
    }
    if ssgan_sweep is not None:
        out["ssgan_learning_rate_choice"] = json_ready(ssgan_sweep.drop(columns="val_curve").to_dict("records"))
    return out


def json_ready(value):
    """numpy scalars and containers of them as plain Python values."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Methods as rows, label counts as columns, cells ``mean ± std (n = runs; updates)``, or ``value (one run)``."""

    def cell(r) -> str:
        budget = "" if pd.isna(r.get("n_updates")) else f"; {int(r['n_updates']):,} updates"
        if r["runs"] > 1:
            return f"{r['mean']:.4f} ± {r['std']:.4f} (n = {r['runs']}{budget})"
        return f"{r['mean']:.4f} (one run{budget})"

    cells = table.assign(method=table["method"].map(NAMES), cell=[cell(r) for _, r in table.iterrows()])
    return cells.pivot(index="method", columns="n_labels", values="cell")


if __name__ == "__main__":  # the study (or with `epochs`, the 15-epoch arm) in the background, resumable
    import sys

    print(utils.versions(), flush=True)
    if sys.argv[1:] == ["epochs"]:
        print(utils.machine(), flush=True)
        print(format_table(summary_table(run_epoch_arm())).to_string(), flush=True)
    else:
        with utils.timer() as t:
            rate, sweep = choose_ssgan_learning_rate(config.LABEL_COUNTS[0], config.LABEL_SEEDS[0])
            print(sweep.drop(columns="val_curve").to_string(), flush=True)
            runs = run_study(ssgan_learning_rate=rate)
        print(format_table(summary_table(runs)).to_string(), flush=True)
        print(f"{t['seconds'] / 60:.1f} min in this call; {runs['wall_seconds'].sum() / 60:.1f} min of training")
