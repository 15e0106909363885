"""08's compute-matched CNN: 10's modern recipe given the semi-supervised GAN's updates on the same images, the
validation check best kept, a second arm stopped early. ``python -m digitgan.extensions.matched_cnn [early]``."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import pandas as pd

from digitgan import checks, config, fileio, training, utils
from digitgan.extensions import constants, protocols
from digitgan.extensions import label_efficiency as le
from digitgan.extensions.label_tables import MATCHED, MATCHED_EARLY, MATCHED_NAME, json_ready, summary_table
from digitgan.store import Store, array_digest, key, model_fields

CHECK_EVERY = 600
PATIENCE = 15


def _matched_settings(n_labels: int, n_val: int, updates: int | None, check_every: int, patience: int | None) -> dict:
    """The modern recipe's settings for ``updates`` (default: the SSGAN's), checked every ``check_every``."""
    budget = le.n_updates("ssgan", n_labels, le.settings("ssgan", n_labels)) if updates is None else updates
    check_every = checks.integer("check_every", check_every, 1)
    if (budget := checks.integer("updates", budget, check_every)) % check_every:
        raise ValueError(f"updates={budget} must be a multiple of check_every={check_every}")
    recipe, n_labels = constants.MODERN_DROPOUT_RECIPE, checks.integer("n_labels", n_labels, config.NUM_CLASSES)
    out = {"method": MATCHED, "n_labels": n_labels, "n_val": n_val, "updates": budget, "check_every": check_every}
    out |= {"patience": None if patience is None else checks.integer("patience", patience, 1), "optimizer": "adam"}
    out |= {"learning_rate": recipe["learning_rate"], "schedule": "cosine over the budget"}
    out |= {"dropout": recipe["dropout"], "strength": protocols.RECIPE_DEFAULTS["strength"]}
    out["batch_size"] = config.BATCH_SIZE
    cnn = model_fields(protocols.classifier("cnn"), protocols.STUDY_ARCHITECTURE["cnn"])
    return {**out, "keep": "best validation check", **cnn}


def run_matched_cnn(data: dict, seed: int, run_settings: dict, weights_path: Path | None = None) -> dict:
    """One run: trained to its budget or early stop, the best check kept (the CNN alone saved), then tested."""
    s = run_settings
    utils.set_seed(seed)
    model, core = protocols.build_model("cnn", True, seed, strength=s["strength"], dropout=s["dropout"])
    schedule = keras.optimizers.schedules.CosineDecay(s["learning_rate"], decay_steps=s["updates"])
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="categorical_crossentropy", metrics=["accuracy"])
    best, start, stops = training.BestWeights(), time.perf_counter(), []
    if s["patience"] is not None:
        stops = [keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=s["patience"])]
    fit = {"verbose": 0, "callbacks": [best, *stops], "validate": "val", "steps_per_epoch": s["check_every"]}
    history = training.fit_classifier(model, data, s["updates"] // s["check_every"], s["batch_size"], seed=seed, **fit)
    seconds = time.perf_counter() - start
    best.restore(model)
    if weights_path is not None:
        fileio.save_weights(core, weights_path)
    n, every = len(history["val_accuracy"]), s["check_every"]
    out = {"val_accuracy": best.best, "kept_check": best.epoch, "kept_update": best.epoch * every}
    out |= {"checks_trained": n, "updates_trained": n * every, "val_curve": le._curve(history["val_accuracy"])}
    out |= {"seconds": seconds, "test_accuracy": training.accuracy(core, data["x_test"], data["y_test"])}
    return out | {"machine": utils.machine()}


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
    """The matched CNN per label count and seed, stored at once; with ``patience``, the arm stopped early."""
    from digitgan.data import load_label_efficiency_data

    seeds = [checks.seed(s, "seeds entry") for s in seeds]
    planned = [
        (n, seed, _matched_settings(n, n_val, updates, check_every, patience)) for n in label_counts for seed in seeds
    ]
    store, rows = Store(store_path or constants.LABEL_EFFICIENCY_CACHE), []
    method = MATCHED if patience is None else MATCHED_EARLY
    for n_labels, seed, s in planned:
        data = load_label_efficiency_data(n_labels, seed, source, n_val=n_val)
        digest = array_digest(data["x_train"], data["y_train"], data["x_val"], data["y_val"])
        inputs = {**s, "seed": seed, "data": digest}
        result = store.get(inputs)
        if result is None:
            path = Path(weights_dir or le.WEIGHTS_DIR) / f"{MATCHED}_{n_labels}_seed{seed}_{key(inputs)}.weights.h5"
            r = result = store.put(inputs, {**run_matched_cnn(data, seed, s, path), "weights": path.name})
            line = f"{MATCHED_NAME} {n_labels:6d} labels, seed {seed}: test accuracy {r['test_accuracy']:.4f}, "
            line += f"validation {r['val_accuracy']:.4f}, kept update {r['kept_update']:,} of {r['updates_trained']:,}"
            print(f"{line} trained ({r['seconds'] / 60:.1f} min)", flush=True)
        row = {"method": method, "n_labels": n_labels, "seed": seed, **result, "n_updates": s["updates"]}
        rows.append({**row, "settings": s})
    return pd.DataFrame(rows)


def matched_differences(study: pd.DataFrame, matched: pd.DataFrame) -> dict:
    """Per label count: the semi-supervised GAN's test accuracy minus the compute-matched CNN's, paired by seed."""
    out, ssgan = {}, study[study["method"] == "ssgan"]
    for n_labels, cnn in matched.groupby("n_labels"):
        pair = ssgan[ssgan["n_labels"] == n_labels].merge(cnn, on="seed").sort_values("seed")
        out[str(int(n_labels))] = utils.difference(pair["test_accuracy_x"], pair["test_accuracy_y"], paired=True)
    return out


def matched_results(matched: pd.DataFrame, gaps: dict) -> dict:
    """What results.json records under ``label_efficiency`` -> ``cnn_matched``: summary, runs, ``gaps``, settings."""
    summary = {}
    for _, r in summary_table(matched).iterrows():
        cell = {"mean": float(r["mean"]), "std": float(r["std"]), "runs": int(r.runs), "n_updates": int(r["n_updates"])}
        summary[str(int(r.n_labels))] = {**cell, "updates_trained": [int(r["trained_min"]), int(r["trained_max"])]}
    keys = ("n_labels", "seed", "test_accuracy", "val_accuracy", "kept_update", "updates_trained", "seconds", "weights")
    runs = [{k: run[k] for k in keys if k in run} for _, run in matched.iterrows()]
    settings = matched["settings"].iloc[0] if "settings" in matched else None
    return json_ready({"summary": summary, "runs": runs, "ssgan_minus_matched": gaps, "settings": settings})


if __name__ == "__main__":
    import sys

    print(utils.versions(), utils.machine(), sep="\n", flush=True)
    with utils.timer() as t:
        runs = run_matched(patience=PATIENCE if sys.argv[1:] == ["early"] else None)
    print(summary_table(runs).to_string(), flush=True)
    print(f"{t['seconds'] / 60:.1f} min in this call; {runs['seconds'].sum() / 60:.1f} min of training in all")
