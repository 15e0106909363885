"""The compute-matched CNN of the label study (08): the CNN with 10's modern recipe (``MODERN_DROPOUT_RECIPE``:
augmentation, Adam with a cosine decay over its budget, dropout) given the semi-supervised GAN's updates, on the same
labelled images and validation split as every method of a ``(n_labels, seed)``; the check (one every
``CHECK_EVERY`` updates) best on validation is kept, and a second arm stops after ``PATIENCE`` checks without a
better one. ``python -m digitgan.extensions.matched_cnn [early]`` trains them in the background, resumable.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from digitgan import checks, config, fileio, training, utils
from digitgan.extensions import constants
from digitgan.extensions import label_efficiency as le
from digitgan.store import Store, array_digest, key, model_fields

CHECK_EVERY = 600
PATIENCE = 15


def _matched_settings(n_labels: int, n_val: int, updates: int | None, check_every: int, patience: int | None) -> dict:
    """The modern recipe for the CNN, given ``updates`` (default: the study's SSGAN's, 54,000), checked every
    ``check_every`` updates and stopped after ``patience`` checks without a better one (``None``: never)."""
    from digitgan.extensions import protocols

    budget = le.n_updates("ssgan", n_labels, le.settings("ssgan", n_labels)) if updates is None else updates
    check_every = checks.integer("check_every", check_every, 1)
    budget = checks.integer("updates", budget, check_every)
    if budget % check_every:
        raise ValueError(f"updates={budget} must be a multiple of check_every={check_every}")
    recipe, n_labels = constants.MODERN_DROPOUT_RECIPE, checks.integer("n_labels", n_labels, config.NUM_CLASSES)
    out = {"method": le.MATCHED, "n_labels": n_labels, "n_val": n_val, "updates": budget, "check_every": check_every}
    out |= {"patience": None if patience is None else checks.integer("patience", patience, 1), "optimizer": "adam"}
    out |= {
        "learning_rate": recipe["learning_rate"],
        "schedule": "cosine over the budget",
        "dropout": recipe["dropout"],
    }
    out |= {"strength": protocols.RECIPE_DEFAULTS["strength"], "batch_size": config.BATCH_SIZE}
    cnn = model_fields(protocols.classifier("cnn"), protocols.STUDY_ARCHITECTURE["cnn"])
    return {**out, "keep": "best validation check", **cnn}


def run_matched_cnn(data: dict, seed: int, run_settings: dict, weights_path: Path | None = None) -> dict:
    """One compute-matched CNN run: trained until its budget or its early stop, the best validation check kept
    (saved to ``weights_path``: the CNN alone, no augmentation layers), then scored once on the test set."""
    import keras

    from digitgan.extensions import protocols

    s = run_settings
    utils.set_seed(seed)
    model, core = protocols.build_model("cnn", True, seed, strength=s["strength"], dropout=s["dropout"])
    schedule = keras.optimizers.schedules.CosineDecay(s["learning_rate"], decay_steps=s["updates"])
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="categorical_crossentropy", metrics=["accuracy"])
    best = training.BestWeights()
    stops = (
        []
        if s["patience"] is None
        else [keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=s["patience"])]
    )
    start = time.perf_counter()
    history = training.fit_classifier(
        model,
        data,
        s["updates"] // s["check_every"],
        s["batch_size"],
        verbose=0,
        callbacks=[best, *stops],
        validate="val",
        steps_per_epoch=s["check_every"],
        seed=seed,
    )
    seconds = time.perf_counter() - start
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(core, weights_path)
    checks_trained = len(history["val_accuracy"])
    return {
        "val_accuracy": best.best,
        "kept_check": best.epoch,
        "kept_update": best.epoch * s["check_every"],
        "checks_trained": checks_trained,
        "updates_trained": checks_trained * s["check_every"],
        "val_curve": [round(float(v), 5) for v in history["val_accuracy"]],
        "seconds": seconds,
        "test_accuracy": training.accuracy(core, data["x_test"], data["y_test"]),
        "machine": utils.machine(),
    }


def run_matched(
    label_counts=(10_000, 1_000, 100),
    seeds=constants.LABEL_SEEDS,
    store_path: Path | None = None,
    weights_dir: Path | None = None,
    source=None,
    n_val: int = constants.LABEL_EFFICIENCY_VAL,
    updates: int | None = None,
    check_every: int = CHECK_EVERY,
    patience: int | None = None,
) -> pd.DataFrame:
    """The compute-matched CNN at every label count and seed, each run stored as soon as it ends (keyed by its
    settings, seed and the digest of the images it trains and validates on). ``patience``: stop after that many
    checks without a better one (the rows' method is then ``MATCHED_EARLY``); None trains all."""
    from digitgan.data import load_label_efficiency_data

    seeds = [checks.seed(s, "seeds entry") for s in seeds]
    matched = [(n, seed) for n in label_counts for seed in seeds]
    planned = [(n, seed, _matched_settings(n, n_val, updates, check_every, patience)) for n, seed in matched]
    store, rows = Store(store_path or constants.LABEL_EFFICIENCY_CACHE), []
    for n_labels, seed, s in planned:
        data = load_label_efficiency_data(n_labels, seed, source, n_val=n_val)
        digest = array_digest(data["x_train"], data["y_train"], data["x_val"], data["y_val"])
        inputs = {**s, "seed": seed, "data": digest}
        result = store.get(inputs)
        if result is None:
            path = Path(weights_dir or le.WEIGHTS_DIR) / f"{le.MATCHED}_{n_labels}_seed{seed}_{key(inputs)}.weights.h5"
            result = store.put(inputs, {**run_matched_cnn(data, seed, s, path), "weights": path.name})
            print(
                f"{le.MATCHED_NAME} {n_labels:6d} labels, seed {seed}: test accuracy {result['test_accuracy']:.4f}, "
                f"validation {result['val_accuracy']:.4f}, kept update {result['kept_update']:,} of "
                f"{result['updates_trained']:,} trained ({result['seconds'] / 60:.1f} min)",
                flush=True,
            )
        method = le.MATCHED if patience is None else le.MATCHED_EARLY
        rows.append(
            {"method": method, "n_labels": n_labels, "seed": seed, **result, "n_updates": s["updates"], "settings": s}
        )
    return pd.DataFrame(rows)


def matched_differences(study: pd.DataFrame, matched: pd.DataFrame) -> dict:
    """Per label count: the semi-supervised GAN's test accuracy minus the compute-matched CNN's, paired by seed."""
    out = {}
    for n_labels in sorted(matched["n_labels"].unique()):
        ssgan_runs = study[(study["method"] == "ssgan") & (study["n_labels"] == n_labels)].set_index("seed")
        cnn_runs = matched[matched["n_labels"] == n_labels].set_index("seed")
        seeds = sorted(set(ssgan_runs.index) & set(cnn_runs.index))
        a, b = ssgan_runs.loc[seeds, "test_accuracy"], cnn_runs.loc[seeds, "test_accuracy"]
        out[str(int(n_labels))] = utils.difference(a, b, paired=True)
    return out


def matched_results(matched: pd.DataFrame, gaps: dict) -> dict:
    """What results.json records under ``label_efficiency`` -> ``cnn_matched``: per label count the mean, std, runs,
    budget and updates trained; every run, the semi-supervised GAN's lead (``gaps``) and the settings."""
    summary = {}
    for _, r in le.summary_table(matched).iterrows():
        cell = {"mean": float(r["mean"]), "std": float(r["std"]), "runs": int(r.runs), "n_updates": int(r["n_updates"])}
        summary[str(int(r.n_labels))] = {**cell, "updates_trained": [int(r["trained_min"]), int(r["trained_max"])]}
    keys = ("n_labels", "seed", "test_accuracy", "val_accuracy", "kept_update", "updates_trained", "seconds", "weights")
    runs = [{k: run[k] for k in keys if k in run} for _, run in matched.iterrows()]
    settings = matched["settings"].iloc[0] if "settings" in matched else None
    return le.json_ready({"summary": summary, "runs": runs, "ssgan_minus_matched": gaps, "settings": settings})


if __name__ == "__main__":
    import sys

    print(utils.versions(), utils.machine(), sep="\n", flush=True)
    with utils.timer() as t:
        runs = run_matched(patience=PATIENCE if sys.argv[1:] == ["early"] else None)
    print(le.summary_table(runs).to_string(), flush=True)
    print(f"{t['seconds'] / 60:.1f} min in this call; {runs['seconds'].sum() / 60:.1f} min of training in all")
