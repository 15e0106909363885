"""The label study's tables (:mod:`.label_efficiency`) and what results.json records of it."""

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import utils
from digitgan.extensions import constants
from digitgan.store import Store

METHODS = tuple(constants.LABEL_EFFICIENCY_NAMES)
MATCHED = "cnn_matched"  # the compute-matched CNN (digitgan.extensions.matched_cnn), every update trained
MATCHED_NAME = "CNN (modern recipe, the semi-supervised GAN's updates)"
MATCHED_EARLY = "cnn_matched_early"  # the same CNN stopped early (matched_cnn.PATIENCE checks without progress)
NAMES = {
    **constants.LABEL_EFFICIENCY_NAMES,
    MATCHED: MATCHED_NAME,
    MATCHED_EARLY: f"{MATCHED_NAME[:-1]}, stopped early)",
}


def describe_splits(label_counts, seeds, n_val: int = constants.LABEL_EFFICIENCY_VAL, source=None) -> pd.DataFrame:
    """Per ``(n_labels, seed)``: the first labelled indices, images per digit and of its validation split, overlap."""
    from digitgan.data import label_subset_indices, load_mnist, validation_indices

    (_, y_all), _ = load_mnist(source)
    rows = []
    for n, seed in itertools.product(label_counts, seeds):
        idx = label_subset_indices(y_all, n, seed)
        val = validation_indices(y_all, idx, n_val, seed)
        row = {"labels": n, "seed": seed, "first indices": idx[:3].tolist()}
        for name, part in (("per digit", idx), ("validation per digit", val)):
            row[name] = f"{(counts := np.bincount(y_all[part], minlength=10)).min()}-{counts.max()}"
        rows.append({**row, "overlap": len(np.intersect1d(idx, val))})
    return pd.DataFrame(rows)


def transfer_vs_scratch(runs: pd.DataFrame) -> dict:
    """Per label count: trial 3's test accuracy minus the CNN's of the same seeds (paired t-test), and their budget."""
    out = {}
    for n_labels, part in runs[runs["method"].isin(("trial3", "cnn"))].groupby("n_labels"):
        paired = part.pivot(index="seed", columns="method", values="test_accuracy").reindex(columns=["trial3", "cnn"])
        if len(paired := paired.dropna()) > 1:
            test = utils.difference(paired["trial3"].tolist(), paired["cnn"].tolist(), paired=True)
            out[str(int(n_labels))] = {**test, "n_updates": int(part["n_updates"].max())}
    return out


def versions_tried(cache_path: Path | None = None, reported_epochs: int = constants.SSGAN_EPOCHS) -> list[dict]:
    """Every SSGAN budget (and changed first training) scored on the test set: per seed, means, whether reported."""
    versions = {}  # (epochs, patience, first training) -> {n_labels: {seed: (test, validation)}}
    for record in Store(cache_path or constants.LABEL_EFFICIENCY_CACHE).records().values():
        inputs, result = record["inputs"], record["result"]
        if inputs.get("method") != "ssgan" or "test_accuracy" not in result:
            continue
        s, earlier = inputs["settings"], result.get("first_training")
        compared = ("test_accuracy", "val_accuracy", "kept_epoch")  # a retraining that repeats these is no new version
        differs = earlier and any(earlier.get(k) != result.get(k) for k in compared)
        for first, r in [(False, result)] + ([(True, earlier)] if differs else []):
            cells = versions.setdefault((s["epochs"], s.get("patience"), first), {})
            cells.setdefault(str(inputs["n_labels"]), {})[str(inputs["seed"])] = (r["test_accuracy"], r["val_accuracy"])
    out = []
    for (epochs, patience, first), cells in sorted(versions.items()):
        cells = dict(sorted(cells.items(), key=lambda item: int(item[0])))
        version = f"{epochs} epochs" + (f", stopped after {patience} epochs without progress" if patience else "")
        version += ", first training (retrained with the same recipe and seed to keep its weights)" * first
        mean = [{n: float(np.mean([v[i] for v in c.values()])) for n, c in cells.items()} for i in (0, 1)]  # test, val
        test = {n: {seed: t for seed, (t, _) in sorted(c.items())} for n, c in cells.items()}
        row = {"result": "semi-supervised GAN", "version": version, "reported": epochs == reported_epochs and not first}
        out.append({**row, "test": test, "test_mean": mean[0], "val_mean": mean[1]})
    return out


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per method and label count: the test accuracy's mean, std and runs, the mean validation accuracy, the budget."""
    grouped = runs.groupby(["method", "n_labels"])
    table = utils.seed_stats(grouped["test_accuracy"]).reset_index()
    table["val_mean"] = grouped["val_accuracy"].mean().to_numpy()
    if "n_updates" in runs:
        table["n_updates"] = grouped["n_updates"].max().to_numpy()
    if "updates_trained" in runs:  # runs stopped early train fewer updates than their budget
        table[["trained_min", "trained_max"]] = grouped["updates_trained"].agg(["min", "max"]).to_numpy()
    order = (*METHODS, MATCHED, MATCHED_EARLY)
    table["method"] = pd.Categorical(table["method"], [m for m in order if m in set(table["method"])])
    return table.sort_values(["method", "n_labels"]).reset_index(drop=True)


_RECORD_KEYS = ("method", "n_labels", "seed", "test_accuracy", "val_accuracy", "n_updates", "seconds", "wall_seconds")
_EXTRA_KEYS = ("kept_round", "kept_epoch", "kept_weights", "epochs_trained", "updates_trained", "n_components", "k")


def to_results(runs: pd.DataFrame, table: pd.DataFrame, ssgan_sweep: pd.DataFrame | None = None) -> dict:
    """What results.json records under ``"label_efficiency"``: summary, runs, the SSGAN's rate choice, settings."""
    summary = {}
    for _, row in table.iterrows():
        cell = {"mean": float(row["mean"]), "std": None if pd.isna(row["std"]) else float(row["std"])}
        cell |= {"runs": int(row.runs), "val_mean": float(row["val_mean"])}
        cell["n_updates"] = None if pd.isna(row.get("n_updates")) else int(row["n_updates"])
        summary.setdefault(row["method"], {})[str(int(row.n_labels))] = cell
    records = []
    for _, run in runs.iterrows():
        record = {key: run[key] for key in _RECORD_KEYS}
        extra = {key: run[key] for key in _EXTRA_KEYS if key in run and not pd.isna(run[key])}
        record |= {key: value if isinstance(value, str) else int(value) for key, value in extra.items()}
        record["n_updates"] = None if pd.isna(record["n_updates"]) else int(record["n_updates"])
        records.append(json_ready(record))
    out = {"summary": summary, "runs": records, "wall_seconds_total": float(runs["wall_seconds"].sum())}
    out["n_val"] = int(runs["settings"].iloc[0]["n_val"])
    out["settings"] = {m: runs.loc[runs["method"] == m, "settings"].iloc[0] for m in runs["method"].unique()}
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
    """Methods by label counts, cells ``mean ± std (n = runs; updates)`` (with the updates trained, if fewer)."""

    def cell(r) -> str:
        budget = "" if pd.isna(r.get("n_updates")) else f"; {int(r['n_updates']):,} updates"
        low, high = r.get("trained_min"), r.get("trained_max")
        if budget and not pd.isna(low) and low < r["n_updates"]:
            span = f"{int(low):,}" if low == high else f"{int(low):,}-{int(high):,}"
            budget = f"; budget {int(r['n_updates']):,} updates, {span} trained"
        if r["runs"] > 1:
            return f"{r['mean']:.4f} ± {r['std']:.4f} (n = {r['runs']}{budget})"
        return f"{r['mean']:.4f} (one run{budget})"

    cells = table.assign(method=table["method"].map(NAMES), cell=[cell(r) for _, r in table.iterrows()])
    return cells.pivot(index="method", columns="n_labels", values="cell")
