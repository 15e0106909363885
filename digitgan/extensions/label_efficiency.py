"""Notebook 08's label study: test accuracy against the number of labelled images (100, 1,000, 10,000) for the CNN,
trial 3, PCA + KNN and the semi-supervised GAN, each gradient-trained method given the same budget at every label
count (docs/extensions.md). Every choice is made on a validation split and the test set read once per final model;
each run is stored as soon as it finishes, keyed by everything that shapes it (:func:`settings`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from digitgan import checks, config, utils
from digitgan.extensions import constants, protocols, ssgan
from digitgan.extensions.label_runs import (  # noqa: F401 - train_ssgan_run: 07 trains its run from here
    discriminator_digest,
    run_cnn,
    run_pca_knn,
    run_ssgan,
    run_trial3,
    train_ssgan_run,
)
from digitgan.extensions.label_tables import (  # noqa: F401 - the study's tables and names, as 08 uses them
    MATCHED,
    MATCHED_EARLY,
    MATCHED_NAME,
    METHODS,
    NAMES,
    describe_splits,
    format_table,
    json_ready,
    summary_table,
    to_results,
    transfer_vs_scratch,
    versions_tried,
)
from digitgan.store import Store, model_fields

CLASSIFIER_ROUND = 100  # updates between two validation checks of the CNN and trial 3
WEIGHTS_DIR = config.CHECKPOINT_DIR / constants.MATCHED_WEIGHTS_NAME  # kept weights of the study's runs (committed)


def settings(
    method: str,
    n_labels: int,
    ssgan_epochs: int | None = None,
    n_unlabelled: int | None = None,
    learning_rate: float | None = None,
    n_val: int = constants.LABEL_EFFICIENCY_VAL,
    classifier_updates: int | None = None,
    discriminator_path: Path | None = None,
    ssgan_patience: int | None = ssgan.PATIENCE,
    classifier_round: int = CLASSIFIER_ROUND,
) -> dict:
    """Every setting that shapes one run besides ``(method, n_labels, seed)``: the rest of its store key. ``None`` is
    the study's value, a bad value an error naming the parameter; trial 3's key holds its discriminator's digest."""
    checks.choice("method", method, METHODS)
    checks.integer("n_labels", n_labels, config.NUM_CLASSES, config.N_TRAIN_FULL)
    checks.integer("n_val", n_val, config.NUM_CLASSES)
    if method == "pca_knn":
        return {"n_val": n_val, "components": list(config.PCA_COMPONENTS), "k": list(config.KNN_KS)}
    if method == "ssgan":  # values are checked and kept as given
        epochs = constants.SSGAN_EPOCHS if ssgan_epochs is None else checks.integer("ssgan_epochs", ssgan_epochs, 1)
        if learning_rate is not None:
            checks.learning_rate(learning_rate)
        if n_unlabelled is not None:
            checks.integer("n_unlabelled", n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL)
        patience = None if ssgan_patience is None else checks.integer("ssgan_patience", ssgan_patience, 1)
        rate, n_unlabelled = learning_rate or ssgan.LEARNING_RATE, n_unlabelled or config.N_TRAIN_FULL
        out = {"n_val": n_val, "epochs": epochs, "patience": patience}
        out["decay_start"] = round(ssgan.DECAY_FRACTION * epochs)
        out |= {"learning_rate": rate, "ema_decay": ssgan.EMA_DECAY, "batch_size": config.BATCH_SIZE}
        out |= {"n_unlabelled": n_unlabelled, "step": "fused", "xla": constants.SSGAN_XLA}
        return {**out, "keep": "best validation epoch, averaged or raw weights"}
    updates = constants.CLASSIFIER_UPDATES if classifier_updates is None else classifier_updates
    every = checks.integer("classifier_round", classifier_round, 1)
    checks.integer("classifier_updates", updates, every)
    if updates % every:
        raise ValueError(f"classifier_updates={updates} must be a multiple of the validation round, {every}")
    out = {"n_val": n_val, "updates": updates, "round": every, "learning_rate": config.SGD_LEARNING_RATE}
    out |= {"batch_size": config.BATCH_SIZE, "keep": "best validation round"}
    out |= model_fields(protocols.classifier(method), protocols.STUDY_ARCHITECTURE[method])
    if method == "trial3":
        head, frozen = constants.trial_schedule("trial3")
        out |= {"head": head, "frozen_rounds": round(frozen * (updates // every) / config.TRANSFER_EPOCHS)}
        out["discriminator_sha256"] = discriminator_digest(discriminator_path or config.DISCRIMINATOR_PATH)
    return out


def epoch_budget(n_labels: int, epochs: int = config.TRANSFER_EPOCHS) -> dict:
    """The original protocol's budget for :func:`settings`: ``epochs`` passes over the labelled images, checked after
    every epoch (at 10,000 labels, the 1,500-update budget)."""
    per_epoch = -(-checks.integer("n_labels", n_labels, config.NUM_CLASSES) // config.BATCH_SIZE)
    return {"classifier_updates": checks.integer("epochs", epochs, 1) * per_epoch, "classifier_round": per_epoch}


def n_updates(method: str, n_labels: int, run_settings: dict) -> int | None:
    """A run's budget in gradient updates (the SSGAN's at most, if it stops early); ``None`` for PCA + KNN."""
    if method == "ssgan":
        return run_settings["epochs"] * (run_settings["n_unlabelled"] // run_settings["batch_size"])
    return run_settings.get("updates")


def run_inputs(method: str, n_labels: int, seed: int, run_settings: dict) -> dict:
    """What decides one run's result (its store key's source); the seed draws its images and validation split."""
    return {"part": "label study", "method": method, "n_labels": n_labels, "seed": seed, "settings": run_settings}


RUNNERS = {"cnn": run_cnn, "trial3": run_trial3, "pca_knn": run_pca_knn, "ssgan": run_ssgan}


@dataclass
class Study:
    """Where the runs are stored (``cache_path``; also found in ``also_read``) and what they read: MNIST from
    ``source``, the first ``n_unlabelled`` unlabelled images, an ``n_val`` validation split; SSGAN states go under
    ``ssgan_root``, their TensorBoard logs to ``log_root(name)``."""

    cache_path: Path | None = None
    also_read: tuple[Path, ...] = ()
    source: Path | str | None = None
    n_unlabelled: int | None = None
    n_val: int = constants.LABEL_EFFICIENCY_VAL
    ssgan_root: Path | None = None
    log_root: Callable[[str], Path] | None = None

    def __post_init__(self):
        if self.n_unlabelled is not None:
            n, low, high = self.n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL
            self.n_unlabelled = checks.integer("n_unlabelled", n, low, high)
        self.n_val = checks.integer("n_val", self.n_val, config.NUM_CLASSES)
        self.store = Store(self.cache_path or constants.LABEL_EFFICIENCY_CACHE, self.also_read)
        self._data_key, self._data = None, None

    def data(self, n_labels: int, seed: int) -> dict:
        from digitgan.data import load_label_efficiency_data

        if self._data_key != (n_labels, seed):  # kept for the next run of the same images
            d = load_label_efficiency_data(n_labels, seed, self.source, n_val=self.n_val)
            d["x_unlabelled"] = d["x_unlabelled"][: self.n_unlabelled]
            self._data_key, self._data = (n_labels, seed), d
        return self._data

    def run(self, method: str, n_labels: int, seed: int, run_settings: dict, test=True, discriminator_path=None):
        """The stored result, or a new run stored at once; ``discriminator_path``: trial 3's, if not the study's."""
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
        result = self.store.put(inputs, {**result, "settings": run_settings})
        score = f"test accuracy {result['test_accuracy']:.4f}, " if test else ""
        print(
            f"{NAMES[method]:30s} {n_labels:6d} labels, seed {seed}: {score}validation "
            f"{result['val_accuracy']:.4f} ({result['wall_seconds']:.0f} s)",
            flush=True,
        )
        return result

    def row(self, method: str, n_labels: int, seed: int, run_settings: dict) -> dict:
        result = self.run(method, n_labels, seed, run_settings)
        budget = n_updates(method, n_labels, run_settings)
        return {"method": method, "n_labels": n_labels, "seed": seed, **result, "n_updates": budget}


def choose_ssgan_learning_rate(
    n_labels: int,
    seed: int,
    rates=constants.SSGAN_LEARNING_RATES,
    ssgan_epochs: int = constants.SSGAN_SWEEP_EPOCHS,
    ssgan_patience: int | None = constants.SSGAN_SWEEP_PATIENCE,
    **where,
) -> tuple[float, pd.DataFrame]:
    """``(learning rate, table of the candidates)``: the SSGAN at ``(n_labels, seed)`` once per rate with the sweep's
    budget, and the rate best on validation (ties: the first). ``where``: see :class:`Study`."""
    rates = [checks.positive_float("learning rate", r) for r in rates]
    if not rates:
        raise ValueError("rates must hold at least one learning rate")
    study, rows = Study(**where), []
    for rate in rates:
        budget = dict(ssgan_epochs=ssgan_epochs, ssgan_patience=ssgan_patience, n_val=study.n_val)
        s = settings("ssgan", n_labels, n_unlabelled=study.n_unlabelled, learning_rate=rate, **budget)
        r = study.run("ssgan", n_labels, seed, s, test=False)
        row = {"learning_rate": rate, "val_accuracy": r["val_accuracy"]}
        row |= {key: r.get(key) for key in ("kept_epoch", "kept_weights", "epochs_trained")}
        row |= {"max_epochs": s["epochs"], "minutes": round(r["seconds"] / 60, 1), "val_curve": r.get("val_curve", [])}
        rows.append(row)
    table = pd.DataFrame(rows)
    chosen = float(table.loc[table["val_accuracy"].idxmax(), "learning_rate"])
    table["chosen"] = table["learning_rate"] == chosen
    return chosen, table


def run_study(
    label_counts=constants.LABEL_COUNTS,
    seeds=constants.LABEL_SEEDS,
    methods=METHODS,
    ssgan_epochs: int | None = None,
    ssgan_learning_rate: float | None = None,
    classifier_updates: int | None = None,
    ssgan_patience: int | None = ssgan.PATIENCE,
    **where,
) -> pd.DataFrame:
    """One row per (method, label count, seed) run, stored ones reused. ``ssgan_learning_rate=None`` chooses it
    (:func:`choose_ssgan_learning_rate` at the first label count and seed); ``where``: see :class:`Study`; the rest
    as in :func:`settings`."""
    counts = [checks.integer("label_counts entry", n, config.NUM_CLASSES, config.N_TRAIN_FULL) for n in label_counts]
    label_counts = counts
    seeds = [checks.seed(s, "seeds entry") for s in seeds]
    if not label_counts or not seeds:
        raise ValueError("label_counts and seeds must each hold at least one value")
    methods = checks.choices("methods", methods, METHODS)
    study = Study(**where)  # checks n_unlabelled and n_val
    planned = dict(ssgan_epochs=ssgan_epochs, n_unlabelled=study.n_unlabelled, n_val=study.n_val)
    planned |= dict(classifier_updates=classifier_updates, ssgan_patience=ssgan_patience)
    for m in methods:  # every setting checked before anything trains
        settings(m, label_counts[0], **planned)
    if "ssgan" in methods and ssgan_learning_rate is None:
        ssgan_learning_rate, _ = choose_ssgan_learning_rate(label_counts[0], seeds[0], **where)
    runs = [(method, n, seed) for n in label_counts for seed in seeds for method in methods]
    s = {"learning_rate": ssgan_learning_rate, **planned}
    return pd.DataFrame([study.row(m, n, seed, settings(m, n, **s)) for m, n, seed in runs])


def run_epoch_arm(label_counts=constants.LABEL_COUNTS, seeds=constants.LABEL_SEEDS, **where) -> pd.DataFrame:
    """The CNN and trial 3 at the original's budget (:func:`epoch_budget`: 15 epochs at every label count), stored
    with :func:`run_study`'s runs (10,000 labels reuses the study's 1,500-update runs)."""
    study, seeds = Study(**where), [checks.seed(s, "seeds entry") for s in seeds]
    runs = [(m, n, seed) for n in label_counts for seed in seeds for m in ("cnn", "trial3")]
    rows = [study.row(m, n, seed, settings(m, n, n_val=study.n_val, **epoch_budget(n))) for m, n, seed in runs]
    return pd.DataFrame(rows)


if __name__ == "__main__":  # the 15-epoch arm (`make claims`) in the background, resumable
    print(utils.versions(), utils.machine(), sep="\n", flush=True)
    print(format_table(summary_table(run_epoch_arm())).to_string(), flush=True)
