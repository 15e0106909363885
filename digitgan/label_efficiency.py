"""Test accuracy against the number of labelled images, for four ways to classify digits.

Every method sees the same labelled images for a given ``(n_labels, seed)``
(:func:`digitgan.data.label_subset_indices`: balanced for 100 and 1,000 labels, the study's seed-42
subset for 10,000) and is scored on all 10,000 test images:

- ``cnn``: the baseline CNN, the original's protocol (SGD 0.01, batch 100, 15 epochs), on the labelled images only;
- ``trial3``: the 50-epoch DCGAN's discriminator with trial 3's head and schedule (7 frozen + 8 fine-tuned);
- ``pca_knn``: PCA + k-nearest neighbours, components and k chosen by cross-validation on the labelled images;
- ``ssgan``: the semi-supervised GAN (:mod:`digitgan.ssgan`), which also sees the 60,000 images unlabelled.

Each run's result is cached in ``checkpoints/label_efficiency_runs.json`` as soon as it finishes, so an
interrupted study resumes where it stopped and a rerun reuses what exists. A cached result is found by
its method, label count, seed *and* every setting that shapes it (:func:`settings`: epochs, learning rate,
schedule, batch size, unlabelled images, the discriminator's file...), so a request with other settings
trains anew and never returns another run.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, compare, config, gan, ssgan, training, transfer, utils
from digitgan.models import build_cnn

METHODS = ("cnn", "trial3", "pca_knn", "ssgan")
LABELS = config.LABEL_EFFICIENCY_NAMES


def settings(method: str, n_labels: int, ssgan_epochs: int | None = None, n_unlabelled: int | None = None) -> dict:
    """Every setting that shapes one run's result besides ``(method, n_labels, seed)``: the cache key's rest."""
    if method == "cnn":
        return {"epochs": config.CNN_EPOCHS, "learning_rate": config.SGD_LEARNING_RATE, "batch_size": config.BATCH_SIZE}
    if method == "trial3":
        head, frozen = config.TRIALS["trial3"]
        return {
            "head": head,
            "frozen_epochs": frozen,
            "epochs": config.TRANSFER_EPOCHS,
            "learning_rate": config.SGD_LEARNING_RATE,
            "batch_size": config.BATCH_SIZE,
            "discriminator_sha256": _file_digest(config.DISCRIMINATOR_PATH),
        }
    if method == "pca_knn":
        return {"search": "compare.select_pca_knn defaults", "folds": min(5, n_labels // config.NUM_CLASSES)}
    epochs = ssgan_epochs or config.SSGAN_EPOCHS
    return {
        "epochs": epochs,
        "decay_start": round(config.SSGAN_DECAY_FRACTION * epochs),
        "learning_rate": config.SSGAN_LEARNING_RATE,
        "ema_decay": config.SSGAN_EMA_DECAY,
        "batch_size": config.BATCH_SIZE,
        "n_unlabelled": n_unlabelled or config.N_TRAIN_FULL,
        "step": "fused" if config.SSGAN_FUSED_STEP else "reference",
    }


def n_updates(method: str, n_labels: int, run_settings: dict) -> int | None:
    """The gradient updates one run makes (its training budget): epochs x batches per epoch. The classifiers'
    batches come from the labelled images (one batch when there are fewer than its size); the SSGAN's from the
    unlabelled images, each paired with a labelled batch. ``None`` for PCA + KNN (no gradient training)."""
    if method == "pca_knn":
        return None
    batch = run_settings["batch_size"]
    if method == "ssgan":
        return run_settings["epochs"] * (run_settings["n_unlabelled"] // batch)
    return run_settings["epochs"] * -(-n_labels // batch)


LEGACY_DISCRIMINATOR_SHA256 = "c8b7de86b6aefdbc"


def _file_digest(path: Path) -> str | None:
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else None


def run_key(method: str, n_labels: int, seed: int, run_settings: dict) -> str:
    """``method/n_labels/seed/<hash of the settings>``."""
    digest = hashlib.sha256(utils.dumps(run_settings, sort_keys=True).encode()).hexdigest()[:8]
    return f"{method}/{n_labels}/{seed}/{digest}"


def load_cache(path: Path | None = None) -> dict:
    """Every finished run, ``{run_key: result}`` (same format as results.json).

    Entries written before the keys held their settings (``method/n_labels/seed``) are read with the
    settings the code of that time used (:func:`settings`, the discriminator committed then, the SSGAN's epoch
    count stored in the entry), so the committed study stays reusable.
    """
    cache = {}
    for key, entry in utils.load_results(path or config.LABEL_EFFICIENCY_CACHE).items():
        parts = key.split("/")
        if len(parts) == 3:
            method, n_labels, seed = parts[0], int(parts[1]), int(parts[2])
            entry = {**entry, "settings": settings(method, n_labels, entry.get("epochs"))}
            if method == "trial3":  # the discriminator they used: the one committed in ef2f9e2
                entry["settings"]["discriminator_sha256"] = LEGACY_DISCRIMINATOR_SHA256
            if method == "ssgan":  # trained with the step as first committed
                entry["settings"]["step"] = "reference"
            key = run_key(method, n_labels, seed, entry["settings"])
        cache[key] = entry
    return cache


def run_cnn(data: dict, seed: int, epochs: int = config.CNN_EPOCHS) -> dict:
    utils.set_seed(seed)
    model = build_cnn()
    history, seconds = training.train_classifier(model, data, epochs=epochs, verbose=0, validate=False)
    y_pred, _ = training.predict_labels(model, data["x_test"])
    return {"test_accuracy": float(np.mean(y_pred == data["y_test"])), "seconds": seconds, "epochs": epochs}


def run_trial3(
    data: dict, seed: int, frozen_epochs: int = config.TRIALS["trial3"][1], total_epochs: int = config.TRANSFER_EPOCHS
) -> dict:
    discriminator = gan.load_discriminator(config.DISCRIMINATOR_PATH)
    utils.set_seed(seed)
    model = transfer.discriminator_to_classifier(discriminator, head=config.TRIALS["trial3"][0], freeze=True)
    run = transfer.train_schedule(model, data, frozen_epochs, total_epochs, verbose=0, validate=False)
    y_pred, _ = training.predict_labels(model, data["x_test"])
    return {
        "test_accuracy": float(np.mean(y_pred == data["y_test"])),
        "seconds": run["seconds"],
        "epochs": total_epochs,
    }


def run_pca_knn(data: dict, seed: int) -> dict:
    start = time.perf_counter()
    folds = min(5, len(data["y_train"]) // config.NUM_CLASSES)
    best = compare.select_pca_knn(data["x_train"], data["y_train"], folds=folds, seed=seed)
    row = compare.fit_predict_timed(
        best["n_components"], best["k"], data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    )
    return {
        "test_accuracy": row["accuracy"],
        "seconds": time.perf_counter() - start,
        "n_components": best["n_components"],
        "k": best["k"],
    }


def run_ssgan(data: dict, seed: int, epochs: int = config.SSGAN_EPOCHS, root: Path | None = None, **kwargs) -> dict:
    """Train (or reload the finished checkpoint of) the SSGAN; its history holds every epoch's accuracy.

    The learning rate decays over the last 40% of the epochs (epochs 14-22 of 22, as in 07). The training
    state goes to ``ssgan.run_dir(n_labels, seed, root)``.
    """
    kwargs.setdefault("decay_start", round(config.SSGAN_DECAY_FRACTION * epochs))
    kwargs.setdefault("checkpoint_dir", ssgan.run_dir(len(data["y_train"]), seed, root))
    model, history = ssgan.train_ssgan(data, epochs=epochs, seed=seed, verbose=0, **kwargs)
    return {
        "test_accuracy": history["test_accuracy"][-1],
        "test_accuracy_raw": history["test_accuracy_raw"][-1],
        "seconds": float(sum(history["epoch_seconds"])),
        "epochs": len(history["epoch_seconds"]),
        "curve": history["test_accuracy"],
    }


RUNNERS = {"cnn": run_cnn, "trial3": run_trial3, "pca_knn": run_pca_knn, "ssgan": run_ssgan}


def run_study(
    label_counts=config.LABEL_COUNTS,
    seeds=config.LABEL_SEEDS,
    methods=METHODS,
    ssgan_epochs: dict | None = None,
    single_seed_at: int = config.SUBSET_SIZE,
    cache_path: Path | None = None,
    source=None,
    n_unlabelled: int | None = None,
    also_read: tuple[Path, ...] = (),
    ssgan_root: Path | None = None,
) -> pd.DataFrame:
    """Every (method, label count, seed) run, reusing cached ones; one row per run.

    Label counts of ``single_seed_at`` or more run with the first seed only (the 10k subset is one
    fixed set of images). ``ssgan_epochs`` maps a label count to its SSGAN epochs; ``n_unlabelled``
    (small test runs only) keeps the first that many unlabelled images. New results go to ``cache_path``;
    results with the same key are also looked up in the caches ``also_read`` (a scratch run reads the
    study's). The SSGAN training states go under ``ssgan_root`` (default ``checkpoints/ssgan``).
    """
    from digitgan.data import load_label_efficiency_data

    label_counts = [
        checks.integer("label_counts entry", n, config.NUM_CLASSES, config.N_TRAIN_FULL) for n in label_counts
    ]
    if not label_counts:
        raise ValueError("label_counts must hold at least one label count")
    if not list(seeds):
        raise ValueError("seeds must hold at least one seed")
    methods = checks.choices("methods", methods, METHODS)
    ssgan_epochs = {int(k): v for k, v in (ssgan_epochs or {}).items()}  # papermill passes keys as strings
    for n, epochs in ssgan_epochs.items():
        checks.integer(f"ssgan_epochs[{n}]", epochs, 1)
    if n_unlabelled is not None:
        n_unlabelled = checks.integer("n_unlabelled", n_unlabelled, config.BATCH_SIZE, config.N_TRAIN_FULL)
    cache_path = Path(cache_path or config.LABEL_EFFICIENCY_CACHE)
    known = {}
    for path in (*also_read, cache_path):
        if Path(path).exists():
            known.update(load_cache(path))
    rows = []
    for n_labels in label_counts:
        for seed in seeds[:1] if n_labels >= single_seed_at else seeds:
            data = None
            for method in methods:
                run_settings = settings(method, n_labels, ssgan_epochs.get(n_labels), n_unlabelled)
                key = run_key(method, n_labels, seed, run_settings)
                cached = known.get(key)
                if cached is None:
                    if data is None:
                        data = load_label_efficiency_data(n_labels, seed, source)
                        data["x_unlabelled"] = data["x_unlabelled"][:n_unlabelled]
                    kwargs = {"epochs": run_settings["epochs"], "root": ssgan_root} if method == "ssgan" else {}
                    started = time.perf_counter()
                    cached = RUNNERS[method](data, seed, **kwargs)
                    cached["wall_seconds"] = time.perf_counter() - started
                    cached["settings"] = run_settings
                    known[key] = utils.save_results(key, cached, cache_path)
                    print(
                        f"{LABELS[method]:30s} {n_labels:6d} labels, seed {seed}: "
                        f"test accuracy {cached['test_accuracy']:.4f} ({cached['wall_seconds']:.0f} s)",
                        flush=True,
                    )
                budget = n_updates(method, n_labels, cached.get("settings", run_settings))
                rows.append({"method": method, "n_labels": n_labels, "seed": seed, **cached, "n_updates": budget})
    return pd.DataFrame(rows)


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of the test accuracy per method and label count, the run count, and the
    runs' training budget (``n_updates``, the same for every seed of a cell; missing for PCA + KNN)."""
    grouped = runs.groupby(["method", "n_labels"])
    table = (
        grouped["test_accuracy"]
        .agg(mean="mean", std=lambda s: float(np.std(s, ddof=1)) if len(s) > 1 else 0.0, runs="count")
        .reset_index()
    )
    if "n_updates" in runs:
        table["n_updates"] = grouped["n_updates"].max().to_numpy()
    table["method"] = pd.Categorical(table["method"], [m for m in METHODS if m in set(table["method"])])
    return table.sort_values(["method", "n_labels"]).reset_index(drop=True)


def to_results(runs: pd.DataFrame, table: pd.DataFrame) -> dict:
    """What results.json records under ``"label_efficiency"``."""
    summary = {
        method: {
            str(int(row.n_labels)): {
                "mean": float(row["mean"]),
                "std": float(row["std"]),
                "runs": int(row.runs),
                "n_updates": None if pd.isna(row.get("n_updates")) else int(row["n_updates"]),
            }
            for _, row in part.iterrows()
        }
        for method, part in table.groupby("method", observed=True)
    }
    keep = ["method", "n_labels", "seed", "test_accuracy", "n_updates", "seconds", "wall_seconds"]
    records = runs[keep].to_dict("records")
    for record in records:  # a column with None (PCA + KNN) holds floats: back to whole numbers
        record["n_updates"] = None if pd.isna(record["n_updates"]) else int(record["n_updates"])
    return {
        "summary": summary,
        "runs": records,
        "wall_seconds_total": float(runs["wall_seconds"].sum()),
    }


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """Methods as rows, label counts as columns, cells ``mean ± std (n = runs; updates)``, or ``value (one run)``."""

    def cell(r) -> str:
        budget = "" if pd.isna(r.get("n_updates")) else f"; {int(r['n_updates']):,} updates"
        if r["runs"] > 1:
            return f"{r['mean']:.4f} ± {r['std']:.4f} (n = {r['runs']}{budget})"
        return f"{r['mean']:.4f} (one run{budget})"

    cells = table.assign(method=table["method"].map(LABELS), cell=[cell(r) for _, r in table.iterrows()])
    return cells.pivot(index="method", columns="n_labels", values="cell")
