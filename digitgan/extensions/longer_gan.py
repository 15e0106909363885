"""Notebook 09: the DCGAN trained in stages, each judged and its discriminator given trial 3's classifier as in 08."""

from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checks, config, fileio, gan, models, quality, utils
from digitgan.extensions import constants, label_efficiency
from digitgan.store import STORE_FILE, STUDY_EXPORT, Store, architecture_digest, array_digest, weights_digest

LONGER_GAN_DIR = config.CHECKPOINT_DIR / "longer_gan"  # 09's exported discriminators and run store (committed)
_LOSSES = ("g_loss", "d_loss")


def discriminator_path(folder: Path, epochs: int) -> Path:
    return Path(folder) / f"discriminator_{epochs:03d}.weights.h5"


def train_stages(
    x_train, stages, folder, state_dir, judge, reference=None, n_samples=config.GAN_EVAL_SAMPLES, seed=config.SEED
):
    """``(scores, losses)``: the DCGAN trained stage by stage, each discriminator exported, its samples judged."""
    stages = sorted(checks.integer("stages entry", s, 1) for s in stages)
    if not stages or len(set(stages)) != len(stages):
        raise ValueError(f"stages must be distinct epoch counts, got {stages}")
    if judge is None:
        raise ValueError("judge is needed to score each stage: quality.train_judge(...) (02 trains and caches it)")
    store = Store(Path(folder) / STORE_FILE)
    common = {"part": "GAN stage", "images": array_digest(x_train), "seed": seed, "batch_size": config.BATCH_SIZE}
    common |= {"learning_rate": config.GAN_LEARNING_RATE, "xla": config.GAN_XLA, "precision": config.GAN_PRECISION}
    common |= {"judge": weights_digest(judge), "n_samples": n_samples, "sample_seed": 0}
    common |= {"reference": None if reference is None else array_digest(reference), **_edited_networks()}
    history, scores = None, {}
    for epochs in stages:
        inputs = {**common, "epochs": epochs}
        if (found := store.get(inputs)) is not None and discriminator_path(folder, epochs).is_file():
            scores[epochs] = found
            continue
        model, history = gan.train_gan(x_train, epochs=epochs, checkpoint_dir=state_dir, seed=seed, verbose=0)
        fileio.save_weights(model.discriminator, discriminator_path(folder, epochs))
        judged = quality.judge_scores(judge, quality.generate(model.generator, n_samples, seed=0), reference)
        scores[epochs] = store.put(inputs, {**judged, "seconds": float(sum(history["epoch_seconds"]))})
        distance = f", Fréchet distance {judged['frechet_distance']:.1f}" if "frechet_distance" in judged else ""
        print(f"{epochs:4d} epochs: classifier score {judged['classifier_score']:.2f}{distance}", flush=True)
    losses_inputs = {**common, "part": "GAN losses", "epochs": stages[-1]}
    if history is None:
        return scores, store.get(losses_inputs)
    losses = {key: [round(float(v), 5) for v in values] for key, values in epoch_losses(history).items()}
    return scores, store.put(losses_inputs, losses)


def _edited_networks() -> dict:
    """``architecture`` where the DCGAN's networks are not the study's: an edited network's stage is another run."""
    digest = architecture_digest(models.build_generator(), models.build_discriminator())
    return {} if digest == STUDY_EXPORT["settings"]["architecture"] else {"architecture": digest}


def evaluate_stages(
    stages, seeds, label_counts, folder, n_val=constants.LABEL_EFFICIENCY_VAL, also_read=(), classifier_updates=None
):
    """A record per run of trial 3 on each stage's discriminator and of the CNN per label count and seed, as in 08."""
    label_efficiency.settings("cnn", label_counts[0], classifier_updates=classifier_updates)  # checked first
    study = label_efficiency.Study(Path(folder) / STORE_FILE, also_read, n_val=n_val)
    records, budget = [], {"n_val": n_val, "classifier_updates": classifier_updates}
    for n_labels in label_counts:
        for seed in seeds:
            for model_name, epochs in [("cnn", None), *(("trial3", e) for e in stages)]:
                path = None if epochs is None else discriminator_path(folder, epochs)
                s = label_efficiency.settings(model_name, n_labels, discriminator_path=path, **budget)
                result = study.run(model_name, n_labels, seed, s, discriminator_path=path)
                run = {"model": model_name, "gan_epochs": epochs, "n_labels": n_labels, "seed": seed}
                run |= {key: result[key] for key in ("test_accuracy", "val_accuracy")}
                n = label_efficiency.n_updates(model_name, n_labels, s)
                records.append({**run, "n_updates": n, "seconds": result["seconds"]})
    return records


def epoch_losses(history: dict) -> pd.DataFrame:
    """The mean generator and discriminator loss of every epoch (rows: epochs 1..N) of a per-batch history."""
    epochs = len(history["epoch_seconds"])
    per_epoch = len(history["g_loss"]) // epochs
    means = {k: np.asarray(history[k][: epochs * per_epoch]).reshape(epochs, per_epoch).mean(1) for k in _LOSSES}
    return pd.DataFrame(means, index=pd.RangeIndex(1, epochs + 1, name="epoch"))


def _cells(records: list[dict]) -> dict:
    """Per label count: test accuracy's mean, std and runs (as 09's table), by seed; mean validation accuracy."""
    frame = pd.DataFrame(records, columns=["n_labels", "seed", "test_accuracy", "val_accuracy"])
    stats, out = utils.seed_stats(frame.groupby("n_labels")["test_accuracy"]), {}
    for n, part in frame.groupby("n_labels"):
        mean, std, runs = stats.loc[n]
        cell = {"mean": float(mean), "std": None if pd.isna(std) else float(std), "runs": int(runs)}
        by_seed = part.set_index(part["seed"].astype(str))["test_accuracy"].to_dict()
        out[str(n)] = {**cell, "by_seed": by_seed, "val_mean": float(np.mean(part["val_accuracy"].tolist()))}
    return out


def to_results(scores: dict, records: list[dict], losses: dict) -> dict:
    """results.json's ``future_work`` -> ``longer_gan``: per stage the scores and trial 3's cells; the CNN's; runs."""
    stages = {}
    for epochs, s in sorted(scores.items()):
        judged = {k: s.get(k) for k in ("classifier_score", "frechet_distance", "class_fractions", "mode_collapse")}
        trial3 = _cells([r for r in records if r["model"] == "trial3" and r["gan_epochs"] == epochs])
        stages[str(epochs)] = {**judged, "trial3": trial3}
    out = {"stages": stages, "cnn": _cells([r for r in records if r["model"] == "cnn"]), "runs": records}
    out["epoch_losses"] = {key: list(losses[key]) for key in _LOSSES}
    return {**out, "seconds_gan": float(scores[max(scores)]["seconds"])}
