"""Notebook 11: do labelled generated digits (the conditional DCGAN's, :mod:`.conditional`) help the CNN, and how does
it do trained on them alone? Every arm trains the CNN the same way (Adam at the rate chosen on the real validation
split, best validation epoch kept), 3 seeds, scored on the real test set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, config, training, utils
from digitgan.extensions import constants, protocols
from digitgan.extensions.probes import (  # noqa: F401 - the probes and names 11 uses from here
    AGREE_DRAW,
    cgan_name,
    choose_mode_seeking,
    probe_samples,
    run_best_probe_arms,
    within_class_spread,
)
from digitgan.store import array_digest

ARMS = constants.GENERATED_ARMS
_REAL_ARMS = ("real", "real + classical augmentation")  # trained on the real images alone


def judge_per_class(judge, images: np.ndarray, labels: np.ndarray) -> dict:
    """How often the judge (a CNN trained on all 60,000 real images) reads a generated digit as the one asked for:
    ``{"overall": ..., "0": ..., ..., "9": ...}``."""
    predicted, _ = training.predict_labels(judge, images)
    per = {str(d): float(np.mean(predicted[labels == d] == d)) if (labels == d).any() else None for d in range(10)}
    return {"overall": float(np.mean(predicted == labels)), **per}


def arm_data(arm: str, real: dict, x_gen: np.ndarray, y_gen: np.ndarray) -> dict:
    """The training images of one arm (validation and test stay the real ones)."""
    checks.choice("arm", arm, ARMS)
    if arm in _REAL_ARMS:
        return real
    n = {"10k": 10_000, "50k": 50_000, "60k": 60_000}[arm.split()[-2 if arm.startswith("real") else -1]]
    if n > len(x_gen):
        raise ValueError(f"arm {arm!r} needs {n:,} generated digits, {len(x_gen):,} were drawn")
    if arm.startswith("generated"):
        return {**real, "x_train": x_gen[:n], "y_train": y_gen[:n]}
    x, y = np.concatenate([real["x_train"], x_gen[:n]]), np.concatenate([real["y_train"], y_gen[:n]])
    return {**real, "x_train": x, "y_train": y}


def arm_tag(mode_seeking: float) -> str:
    """What names the generated digits in the arms' store keys (the plain conditional DCGAN's without a suffix)."""
    return "cdcgan" + (f"-ms{mode_seeking:g}" if mode_seeking else "")


def real_learning_rate(
    real: dict, folder: Path, rates=constants.GENERATED_LEARNING_RATES, epochs: int = config.TRANSFER_EPOCHS
) -> float:
    """The CNN's Adam learning rate chosen on the real validation split for the real-only arm (every arm's)."""
    base = protocols.Study(len(real["x_train"]), folder, tag="real", data=real)
    return protocols.choose_learning_rate(base, "cnn", "adam", rates, epochs)[0]


def same_recipe_on_real(
    recipe: dict = constants.MODERN_DROPOUT_RECIPE,
    seeds=constants.LABEL_SEEDS,
    folder: Path = protocols.PROTOCOLS_DIR,
    n_train: int = config.SUBSET_SIZE,
    source=None,
) -> dict:
    """The CNN with ``recipe`` (10's, the filtered arms') on the real ``n_train`` images, a run per seed (10's stored
    runs): the real-data reference of generated digits trained so. ``{"recipe", "mean", "std", "runs", "by_seed"}``."""
    study, settings = protocols.Study(n_train, folder, source), protocols.recipe_settings(recipe)
    by_seed = {str(s): study.run("cnn", "adam", seed=s, augment=True, **settings)["test_accuracy"] for s in seeds}
    values = np.array(list(by_seed.values()))
    std = float(values.std(ddof=1)) if len(values) > 1 else None
    return {"recipe": dict(recipe), "mean": float(values.mean()), "runs": len(values), "by_seed": by_seed, "std": std}


def run_arms(
    real: dict,
    x_gen: np.ndarray,
    y_gen: np.ndarray,
    arms=ARMS,
    seeds=constants.LABEL_SEEDS,
    epochs: int = config.TRANSFER_EPOCHS,
    rates=constants.GENERATED_LEARNING_RATES,
    folder: Path = protocols.PROTOCOLS_DIR,
    generator_tag: str = "cdcgan",
) -> tuple[pd.DataFrame, float]:
    """``(runs, learning rate)``: every arm with every seed (``generator_tag`` names the generated digits), the rate
    chosen on the real validation split for the real-only arm."""
    rate = real_learning_rate(real, folder, rates, epochs)
    base = protocols.Study(len(real["x_train"]), folder, tag="real", data=real)
    digits = {"digits": array_digest(x_gen, y_gen)}  # the generated digits the arms draw from
    rows = []
    for arm in arms:
        data, study = arm_data(arm, real, x_gen, y_gen), base
        if arm not in _REAL_ARMS:
            tag = f"{generator_tag}: {arm}"
            study = protocols.Study(len(data["x_train"]), folder, tag=tag, data=data, inputs=digits)
        augment = arm == "real + classical augmentation"
        rows += [{**study.run("cnn", "adam", rate, epochs, seed, augment=augment), "arm": arm} for seed in seeds]
    return pd.DataFrame(rows), rate


def arm_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per arm: mean, std (ddof 1), runs, in ``ARMS`` order (any other arm after them)."""
    table = utils.seed_stats(runs.groupby("arm", sort=False)["test_accuracy"])
    return table.reindex([a for a in ARMS if a in table.index] + [a for a in table.index if a not in ARMS])


def to_results(scores, per_digit, runs, rate, history, spread, mode_seeking=0.0, probes=None, sample_probes=None):
    """What results.json records under ``future_work`` -> ``generated_digits``; ``spread``: the ``generated`` and
    ``real`` :func:`within_class_spread`; ``probes``, ``sample_probes``: the mode-seeking and sample probes' tables."""
    arms = {}
    for arm, part in runs.groupby("arm", sort=False):
        arms[arm] = {**protocols.seed_summary(part), "n_train": int(part["n_train"].iloc[0])}
    out = {"classifier_score": scores["classifier_score"], "frechet_distance": scores.get("frechet_distance")}
    out |= {"class_fractions": scores["class_fractions"], "judge_accuracy_on_generated": per_digit}
    out |= {"within_class_spread": spread, "mode_seeking": float(mode_seeking)}
    out["mode_seeking_probes"] = [] if probes is None else probes.to_dict("records")
    out["sample_probes"] = [] if sample_probes is None else sample_probes.to_dict("records")
    out |= {"learning_rate": rate, "arms": arms, "gan_epochs": len(history["epoch_seconds"])}
    return {**out, "gan_seconds": float(sum(history["epoch_seconds"]))}
