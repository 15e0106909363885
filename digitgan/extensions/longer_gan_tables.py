"""Notebook 09's tables (:mod:`.longer_gan`): the stages' judge scores, trial 3 and the CNN per stage and label count,
the GAN's own run-to-run spread beside 09's GAN, the per-epoch losses, and what results.json records of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from digitgan import config, utils

LOSSES = ("g_loss", "d_loss")


def summary_table(records: list[dict]) -> pd.DataFrame:
    """Test accuracy per model, GAN epochs (missing for the CNN) and label count: mean, std, runs."""
    frame = pd.DataFrame(records)
    frame["gan_epochs"] = frame["gan_epochs"].astype("Int64")
    grouped = frame.groupby(["model", "gan_epochs", "n_labels"], dropna=False)["test_accuracy"]
    return utils.seed_stats(grouped).reset_index()


def epoch_losses(history: dict) -> pd.DataFrame:
    """The mean generator and discriminator loss of every epoch (rows: epochs 1..N) of a per-batch history."""
    epochs = len(history["epoch_seconds"])
    per_epoch = len(history["g_loss"]) // epochs
    means = {k: np.asarray(history[k][: epochs * per_epoch]).reshape(epochs, per_epoch).mean(1) for k in LOSSES}
    return pd.DataFrame(means, index=pd.RangeIndex(1, epochs + 1, name="epoch"))


def to_results(scores: dict, records: list[dict], losses: dict) -> dict:
    """What results.json records under ``future_work`` -> ``longer_gan``: per stage the judge's scores and trial 3's
    test accuracy per label count (mean, std, runs, by seed, the mean validation accuracy), the CNN's, every run and
    the per-epoch losses."""
    table = summary_table(records)

    def cells(part: pd.DataFrame) -> dict:
        out = {}
        for _, row in part.iterrows():
            same = (row["model"], None if pd.isna(row["gan_epochs"]) else int(row["gan_epochs"]), row["n_labels"])
            seeds = [r for r in records if (r["model"], r["gan_epochs"], r["n_labels"]) == same]
            cell = {"mean": float(row["mean"]), "std": None if pd.isna(row["std"]) else float(row["std"])}
            cell |= {"runs": int(row["runs"]), "by_seed": {str(r["seed"]): r["test_accuracy"] for r in seeds}}
            out[str(int(row["n_labels"]))] = {**cell, "val_mean": float(np.mean([r["val_accuracy"] for r in seeds]))}
        return out

    stages = {}
    for epochs, s in sorted(scores.items()):
        judged = {"classifier_score": s["classifier_score"], "frechet_distance": s.get("frechet_distance")}
        judged |= {"class_fractions": s["class_fractions"], "mode_collapse": s["mode_collapse"]}
        stages[str(epochs)] = {
            **judged,
            "trial3": cells(table[(table["model"] == "trial3") & (table["gan_epochs"] == epochs)]),
        }
    out = {"stages": stages, "cnn": cells(table[table["model"] == "cnn"]), "runs": records}
    out["epoch_losses"] = {key: list(losses[key]) for key in LOSSES}
    return {**out, "seconds_gan": float(scores[max(scores)]["seconds"])}


def stage_table(scores: dict) -> pd.DataFrame:
    """One row per stage: classifier score, Fréchet distance, rarest and commonest digit's share, training minutes."""
    rows = []
    for epochs, s in sorted(scores.items()):
        row = {"GAN epochs": epochs, "classifier score": round(s["classifier_score"], 3)}
        row["Fréchet distance"] = round(s.get("frechet_distance", float("nan")), 1)
        row |= {"rarest digit": min(s["class_fractions"]), "commonest digit": max(s["class_fractions"])}
        rows.append({**row, "training minutes": round(s["seconds"] / 60, 1)})
    return pd.DataFrame(rows).set_index("GAN epochs")


def spread_summary(
    scores: dict, records: list[dict], spread_scores: dict, spread_records: list[dict], seed: int = config.SEED
) -> dict:
    """The GAN's run-to-run spread beside 09's GAN (``seed``'s), what results.json records under ``longer_gan`` ->
    ``gan_spread``: at every shared stage each GAN's classifier score, Fréchet distance and trial 3's mean test
    accuracy per label count; their change from the first shared stage to the last (paired by GAN), and 09's GAN at
    each later stage against the GANs at the last shared one."""
    tests = {}  # (GAN seed, GAN epochs, label count) -> trial 3's test accuracies
    for r in [{**r, "gan_seed": seed} for r in records] + spread_records:
        if r["model"] == "trial3":
            tests.setdefault((r["gan_seed"], r["gan_epochs"], r["n_labels"]), []).append(r["test_accuracy"])
    shared = sorted(set(scores) & set.intersection(*(set(s) for s in spread_scores.values())))
    if not shared:
        theirs = sorted(set().union(*spread_scores.values()))
        raise ValueError(
            f"the spread GANs share no stage with 09's GAN (its stages {sorted(scores)}, theirs "
            f"{theirs}): train them at one of its stages"
        )
    gans = {seed: scores, **spread_scores}
    labels = sorted({n for _, _, n in tests}, reverse=True)

    def measures(gan_scores: dict, gan_seed: int, epochs: int) -> dict:
        """One GAN's judge scores at a stage and trial 3's mean test accuracy on it per label count."""
        judged = {k: float(gan_scores[epochs][k]) for k in ("classifier_score", "frechet_distance")}
        return {**judged, **{f"trial3_{n}": float(np.mean(tests.get((gan_seed, epochs, n), []))) for n in labels}}

    def spread(stage: dict, name: str) -> list[float]:  # one measure of every GAN, in the order of their seeds
        return [stage[g][name] for g in sorted(stage)]

    by_stage = {epochs: {str(g): measures(gans[g], g, epochs) for g in gans} for epochs in shared}
    stages = {}
    for epochs, per_gan in by_stage.items():
        judged = {k: {g: m[k] for g, m in per_gan.items()} for k in ("classifier_score", "frechet_distance")}
        stages[str(epochs)] = {
            **judged,
            "trial3": {str(n): {g: m[f"trial3_{n}"] for g, m in per_gan.items()} for n in labels},
        }
    first, last = by_stage[shared[0]], by_stage[shared[-1]]
    changes = {}
    if len(shared) > 1:
        for name in ("classifier_score", "frechet_distance", *(f"trial3_{n}" for n in labels)):
            changes[name] = utils.difference(spread(last, name), spread(first, name), paired=True)
    later = {}
    for epochs in sorted(e for e in scores if e > shared[-1]):
        later[str(epochs)] = {
            k: utils.difference(one, spread(last, k)) for k, one in measures(scores, seed, epochs).items()
        }
    out = {"gan_seeds": sorted(gans), "stages": stages, "change": {"from": shared[0], "to": shared[-1], **changes}}
    return {**out, "one_gan_against_spread": later}


def spread_table(summary: dict) -> pd.DataFrame:
    """One row per (stage, GAN seed): classifier score, Fréchet distance, trial 3's mean per label count; then a row
    per stage with the mean ± std over the GANs."""
    rows = []
    for epochs, st in summary["stages"].items():
        for g in map(str, summary["gan_seeds"]):
            row = {"GAN epochs": int(epochs), "GAN seed": g, "classifier score": st["classifier_score"][g]}
            row["Fréchet distance"] = st["frechet_distance"][g]
            rows.append({**row, **{f"trial 3, {int(n):,} labels": v[g] for n, v in st["trial3"].items()}})
    stats = pd.DataFrame(rows).drop(columns="GAN seed").groupby("GAN epochs").agg(["mean", "std"])
    for epochs, row in stats.iterrows():
        cells = {col: f"{row[(col, 'mean')]:.4f} ± {row[(col, 'std')]:.4f}" for col in stats.columns.levels[0]}
        rows.append({"GAN epochs": epochs, "GAN seed": "mean ± std", **cells})
    return pd.DataFrame(rows).set_index(["GAN epochs", "GAN seed"]).round(4)
