"""Notebook 08's label study: the CNN, trial 3, PCA + KNN and the SSGAN at 100 to 10,000 labels, stored at once."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from digitgan import checks, compare, config, fileio, gan, training, transfer, utils
from digitgan.extensions import constants, label_tables, protocols, ssgan
from digitgan.extensions.label_tables import METHODS, NAMES
from digitgan.models import build_cnn
from digitgan.store import Store, file_digest, model_fields

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
    """The rest of one run's store key besides ``(method, n_labels, seed)``; ``None`` is the study's value."""
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
        out = {
            "n_val": n_val,
            "epochs": epochs,
            "patience": patience,
            "decay_start": round(ssgan.DECAY_FRACTION * epochs),
        }
        out |= {"learning_rate": learning_rate or ssgan.LEARNING_RATE, "ema_decay": ssgan.EMA_DECAY}
        out |= {"batch_size": config.BATCH_SIZE, "n_unlabelled": n_unlabelled or config.N_TRAIN_FULL, "step": "fused"}
        return {**out, "xla": constants.SSGAN_XLA, "keep": "best validation epoch, averaged or raw weights"}
    updates = constants.CLASSIFIER_UPDATES if classifier_updates is None else classifier_updates
    every = checks.integer("classifier_round", classifier_round, 1)
    if checks.integer("classifier_updates", updates, every) % every:
        raise ValueError(f"classifier_updates={updates} must be a multiple of the validation round, {every}")
    out = {"n_val": n_val, "updates": updates, "round": every, "learning_rate": config.SGD_LEARNING_RATE}
    out |= {"batch_size": config.BATCH_SIZE, "keep": "best validation round"}
    out |= model_fields(protocols.classifier(method), protocols.STUDY_ARCHITECTURE[method])
    if method == "trial3":
        head, frozen = constants.trial_schedule("trial3")
        out |= {"head": head, "frozen_rounds": round(frozen * (updates // every) / config.TRANSFER_EPOCHS)}
        out["discriminator_sha256"] = _discriminator_digest(discriminator_path or config.DISCRIMINATOR_PATH)
    return out


def epoch_budget(n_labels: int) -> dict:
    """The original protocol's budget for :func:`settings`: its 15 epochs, checked after every epoch."""
    per_epoch = -(-checks.integer("n_labels", n_labels, config.NUM_CLASSES) // config.BATCH_SIZE)
    return {"classifier_updates": config.TRANSFER_EPOCHS * per_epoch, "classifier_round": per_epoch}


def n_updates(method: str, n_labels: int, run_settings: dict) -> int | None:
    """A run's budget in gradient updates (the SSGAN's at most); ``None`` for PCA + KNN."""
    if method == "ssgan":
        return run_settings["epochs"] * (run_settings["n_unlabelled"] // run_settings["batch_size"])
    return run_settings.get("updates")


def run_inputs(method: str, n_labels: int, seed: int, run_settings: dict) -> dict:
    """One run's store key's source; the seed draws its images and validation split."""
    return {"part": "label study", "method": method, "n_labels": n_labels, "seed": seed, "settings": run_settings}


def _discriminator_digest(path: Path) -> str | None:  # None while the file does not exist
    return file_digest(path) if Path(path).is_file() else None


def _curve(values) -> list[float]:
    return [round(float(v), 5) for v in values]


def run_classifier(data: dict, seed: int, run_settings: dict, test=True, discriminator_path=None, weights_path=None):
    """The CNN, or trial 3 (settings with a ``head``): the best validation round kept (saved to ``weights_path``)."""
    s, best = run_settings, training.BestWeights()
    fit = dict(verbose=0, callbacks=[best], validate="val", steps_per_epoch=s["round"], seed=seed)
    if "head" in s:
        path = Path(discriminator_path or config.DISCRIMINATOR_PATH)
        if _discriminator_digest(path) != s["discriminator_sha256"]:
            raise ValueError(
                f"{path} is not the discriminator these settings name: build them with settings(..., "
                f"discriminator_path={str(path)!r})"
            )
        discriminator = gan.load_discriminator(path)
        utils.set_seed(seed)
        model = transfer.discriminator_to_classifier(discriminator, head=s["head"], freeze=True)
        lr, batch = s["learning_rate"], s["batch_size"]
        run = transfer.train_schedule(model, data, s["frozen_rounds"], s["updates"] // s["round"], lr, batch, **fit)
        history, seconds = run["history"], run["seconds"]
    else:
        utils.set_seed(seed)
        model, start = training.compile_classifier(build_cnn(), s["learning_rate"]), time.perf_counter()
        history = training.fit_classifier(model, data, s["updates"] // s["round"], s["batch_size"], **fit)
        seconds = time.perf_counter() - start
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(model, weights_path)
    out = {"val_accuracy": best.best, "kept_round": best.epoch, "val_curve": _curve(history["val_accuracy"])}
    out["seconds"] = seconds
    return {**out, "test_accuracy": training.accuracy(model, data["x_test"], data["y_test"])} if test else out


def _run_pca_knn(data: dict, seed: int, run_settings: dict, test: bool = True) -> dict:
    checks.labelled(data, ("train", "val") + (("test",) if test else ()))
    start, x, y, s = time.perf_counter(), data["x_train"], data["y_train"], run_settings
    best = compare.select_pca_knn(x, y, s["components"], s["k"], x_val=data["x_val"], y_val=data["y_val"])
    out = {"val_accuracy": best["val_accuracy"], "n_components": best["n_components"], "k": best["k"]}
    if test:
        row = compare.fit_predict_timed(best["n_components"], best["k"], x, y, data["x_test"], data["y_test"])
        out["test_accuracy"] = row["accuracy"]
    return {**out, "seconds": time.perf_counter() - start}


def train_ssgan_run(data: dict, seed: int, run_settings: dict, root: Path | None = None, log_dir: Path | None = None):
    """``(model, history)`` of one SSGAN run: trained, resumed or reloaded from ``<root>/labels<N>_seed<S>_<hash>``."""
    recipe = {k: run_settings[k] for k in ("epochs", "batch_size", "learning_rate", "decay_start")}
    digest = hashlib.sha256(fileio.dumps(run_settings, sort_keys=True).encode()).hexdigest()[:8]
    state = Path(root or ssgan.CHECKPOINT_DIR) / f"labels{len(data['y_train'])}_seed{seed}_{digest}"
    recipe |= {"patience": run_settings["patience"], "jit_compile": run_settings["xla"], "log_dir": log_dir}
    return ssgan.train_ssgan(data, seed=seed, verbose=0, checkpoint_dir=state, **recipe)


def ssgan_result(model, history: dict, data: dict, run_settings: dict, test: bool = True) -> dict:
    """What the study records of a trained SSGAN; with ``test``, its kept weights' test accuracy."""
    best, n = history["best"], len(history["epoch_seconds"])
    out = {"val_accuracy": best["val_accuracy"], "kept_epoch": best["epoch"], "kept_weights": best["weights"]}
    out |= {"epochs_trained": n, "updates_trained": n * (len(data["x_unlabelled"]) // run_settings["batch_size"])}
    out |= {"seconds": float(sum(history["epoch_seconds"])), "val_curve": _curve(history["val_accuracy"])}
    out["val_curve_raw"] = _curve(history["val_accuracy_raw"])
    if test:
        out["test_accuracy"] = training.accuracy(model.best_discriminator, data["x_test"], data["y_test"])
    return out


def _run_ssgan(data: dict, seed: int, s: dict, test: bool = True, root=None, log_dir=None) -> dict:
    return ssgan_result(*train_ssgan_run(data, seed, s, root, log_dir), data, s, test)


RUNNERS = {"cnn": run_classifier, "trial3": run_classifier, "pca_knn": _run_pca_knn, "ssgan": _run_ssgan}


@dataclass
class Study:
    """Where runs are stored and read (``also_read``), their data, SSGAN states and logs (``log_root(name)``)."""

    cache_path: Path | None = None
    also_read: tuple[Path, ...] = ()
    source: Path | str | None = None
    n_unlabelled: int | None = None
    n_val: int = constants.LABEL_EFFICIENCY_VAL
    ssgan_root: Path | None = None
    log_root: Callable[[str], Path] | None = None

    def __post_init__(self):
        if (n := self.n_unlabelled) is not None:
            self.n_unlabelled = checks.integer("n_unlabelled", n, config.BATCH_SIZE, config.N_TRAIN_FULL)
        self.n_val = checks.integer("n_val", self.n_val, config.NUM_CLASSES)
        self.store = Store(self.cache_path or constants.LABEL_EFFICIENCY_CACHE, self.also_read)

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
        from digitgan.data import load_label_efficiency_data

        started, data = time.perf_counter(), load_label_efficiency_data(n_labels, seed, self.source, n_val=self.n_val)
        data["x_unlabelled"] = data["x_unlabelled"][: self.n_unlabelled]
        result = RUNNERS[method](data, seed, run_settings, test=test, **kwargs)
        # trained before without its test score: it keeps its first wall time
        result["wall_seconds"] = time.perf_counter() - started if cached is None else cached["wall_seconds"]
        result = self.store.put(inputs, {**result, "settings": run_settings})
        score = f"test accuracy {result['test_accuracy']:.4f}, " if test else ""
        line = f"{NAMES[method]:30s} {n_labels:6d} labels, seed {seed}: {score}validation {result['val_accuracy']:.4f}"
        print(f"{line} ({result['wall_seconds']:.0f} s)", flush=True)
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
    """``(rate, table)``: the SSGAN per rate with the sweep's budget, the first best on validation kept."""
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
    **where,
) -> pd.DataFrame:
    """One row per (method, label count, seed), stored runs reused; ``ssgan_learning_rate=None`` chooses it first."""
    label_counts = [
        checks.integer("label_counts entry", n, config.NUM_CLASSES, config.N_TRAIN_FULL) for n in label_counts
    ]
    seeds = [checks.seed(s, "seeds entry") for s in seeds]
    if not label_counts or not seeds:
        raise ValueError("label_counts and seeds must each hold at least one value")
    methods = checks.choices("methods", methods, METHODS)
    study = Study(**where)  # checks n_unlabelled and n_val
    planned = dict(ssgan_epochs=ssgan_epochs, n_unlabelled=study.n_unlabelled, n_val=study.n_val)
    planned["classifier_updates"] = classifier_updates
    for m in methods:  # every setting checked before anything trains
        settings(m, label_counts[0], **planned)
    if "ssgan" in methods and ssgan_learning_rate is None:
        ssgan_learning_rate, _ = choose_ssgan_learning_rate(label_counts[0], seeds[0], **where)
    runs = [(method, n, seed) for n in label_counts for seed in seeds for method in methods]
    s = {"learning_rate": ssgan_learning_rate, **planned}
    return pd.DataFrame([study.row(m, n, seed, settings(m, n, **s)) for m, n, seed in runs])


def run_epoch_arm(label_counts=constants.LABEL_COUNTS, seeds=constants.LABEL_SEEDS, **where) -> pd.DataFrame:
    """The CNN and trial 3 at the original's 15 epochs (:func:`epoch_budget`), stored with :func:`run_study`'s."""
    study, seeds = Study(**where), [checks.seed(s, "seeds entry") for s in seeds]
    runs = [(m, n, seed) for n in label_counts for seed in seeds for m in ("cnn", "trial3")]
    rows = [study.row(m, n, seed, settings(m, n, n_val=study.n_val, **epoch_budget(n))) for m, n, seed in runs]
    return pd.DataFrame(rows)


if __name__ == "__main__":  # the 15-epoch arm (`make claims`) in the background, resumable
    print(utils.versions(), utils.machine(), sep="\n", flush=True)
    print(label_tables.format_table(label_tables.summary_table(run_epoch_arm())).to_string(), flush=True)
