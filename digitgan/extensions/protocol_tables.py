"""Notebook 10's tables (:mod:`.protocols`): its runs per cell, the modern recipes scored on the test set, and what
results.json records of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import utils
from digitgan.extensions import constants
from digitgan.extensions.constants import PROTOCOL_VAL, PROTOCOLS_DIR, RECIPE_DEFAULTS
from digitgan.store import STORE_FILE, Store

_CELL = ["model", "n_train", "optimizer", "augment", "learning_rate"]  # a table's cell: the runs of all seeds


def versions_tried(modern: pd.DataFrame, folder: Path = PROTOCOLS_DIR) -> list[dict]:
    """Every modern recipe the store holds test scores of, per model: each seed's, the mean and whether ``modern``
    (:func:`run_modern`'s runs) reports it."""

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
    """What results.json records under ``future_work`` -> ``protocols``: per cell the learning rate chosen among
    those tried, the modern recipe and :func:`seed_summary`; the ``candidates``' and ``explored`` tables."""
    rates = learning_rates or constants.PROTOCOL_LEARNING_RATES
    tried = {("original", o): [float(r) for r in rs] for o, rs in rates.items()}
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
    out = {"runs": cells, "n_val": PROTOCOL_VAL}
    for name, table in (("candidates", candidates), ("explored", explored)):
        out[f"modern_{name}"] = [] if table is None else table.to_dict("records")
    return out
