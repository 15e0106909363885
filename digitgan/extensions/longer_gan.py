"""The report's questions 1 and 4 (notebook 09): with more GAN training, does the transferred discriminator reach the
CNN, and do the GAN's losses settle? The DCGAN is trained with 02's recipe in stages (one resumable state); at each
stage's end its discriminator is exported (committed) and its samples scored by the judge; each exported discriminator
then gets trial 3's classifier as in the label study (08), 3 seeds on 10k and 1,000 labels, beside the CNN. Every
result is stored as soon as it exists (``runs.json`` beside the exported weights): a rerun reuses what is there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from digitgan import checkpoint, checks, config, fileio, gan, quality, utils
from digitgan.extensions import constants, label_efficiency
from digitgan.extensions.longer_gan_tables import (  # noqa: F401 - 09's tables, made from here
    epoch_losses,
    spread_summary,
    spread_table,
    stage_table,
    summary_table,
    to_results,
)
from digitgan.store import STORE_FILE, Store, array_digest, weights_digest

# 09's DCGAN and the spread's DCGANs of other seeds: exported discriminators and scores (committed), training states
LONGER_GAN_DIR = config.CHECKPOINT_DIR / "longer_gan"
LONGER_GAN_STATE_DIR = config.CHECKPOINT_DIR / "dcgan_longer"
GAN_SPREAD_DIR = config.CHECKPOINT_DIR / "gan_spread"
GAN_SPREAD_STATE_DIR = config.CHECKPOINT_DIR / "dcgan_spread"


def discriminator_path(folder: Path, epochs: int) -> Path:
    return Path(folder) / f"discriminator_{epochs:03d}.weights.h5"


def train_stages(
    x_train: np.ndarray,
    stages=constants.LONGER_GAN_STAGES,
    folder: Path = LONGER_GAN_DIR,
    state_dir: Path = LONGER_GAN_STATE_DIR,
    judge=None,
    reference: np.ndarray | None = None,
    n_samples: int = config.GAN_EVAL_SAMPLES,
    seed: int = config.SEED,
    sample_seed: int = 0,
    verbose: int = 0,
) -> tuple[dict, dict]:
    """``(scores, losses)``: the DCGAN trained stage by stage, each stage's discriminator exported and its generator
    scored (``scores[epochs]``: classifier score, Fréchet distance given ``reference``, class fractions, seconds up to
    it); ``losses``: :func:`epoch_losses`, stored with the scores so that a rerun needs no training state."""
    stages = sorted(checks.integer("stages entry", s, 1) for s in stages)
    if not stages or len(set(stages)) != len(stages):
        raise ValueError(f"stages must be distinct epoch counts, got {stages}")
    if judge is None:
        raise ValueError("judge is needed to score each stage: quality.train_judge(...) (02 trains and caches it)")
    folder = Path(folder)
    store = Store(folder / STORE_FILE)
    # what decides a stage's scores besides its epochs
    common = {"part": "GAN stage", "images": array_digest(x_train), "seed": seed, "batch_size": config.BATCH_SIZE}
    common |= {"learning_rate": config.GAN_LEARNING_RATE, "xla": config.GAN_XLA, "precision": config.GAN_PRECISION}
    common |= {"judge": weights_digest(judge), "n_samples": n_samples, "sample_seed": sample_seed}
    common |= {"reference": None if reference is None else array_digest(reference), **_edited_networks()}
    history, scores_by_stage = None, {}
    for epochs in stages:
        inputs = {**common, "epochs": epochs}
        found = store.get(inputs)
        if found is not None and discriminator_path(folder, epochs).is_file():
            scores_by_stage[epochs] = found
            continue
        model, history = gan.train_gan(
            x_train, epochs=epochs, checkpoint_dir=state_dir, seed=seed, verbose=verbose, jit_compile=config.GAN_XLA
        )
        fileio.save_weights(model.discriminator, discriminator_path(folder, epochs))
        images = quality.generate(model.generator, n_samples, seed=sample_seed)  # 02 scores seed 0's samples
        scores = quality.judge_scores(judge, images, reference)
        scores["seconds"] = float(sum(history["epoch_seconds"]))
        scores_by_stage[epochs] = store.put(inputs, scores)
        distance = f", Fréchet distance {scores['frechet_distance']:.1f}" if "frechet_distance" in scores else ""
        print(f"{epochs:4d} epochs: classifier score {scores['classifier_score']:.2f}{distance}", flush=True)
    losses_inputs = {**common, "part": "GAN losses", "epochs": stages[-1]}
    if history is not None:
        store.put(losses_inputs, _rounded_losses(history))
    losses = store.get(losses_inputs)
    if losses is None:  # a store without them: the training state has them
        losses = store.put(losses_inputs, _rounded_losses(checkpoint.saved_history(state_dir)))
    return scores_by_stage, losses


def _rounded_losses(history: dict) -> dict:
    return {key: [round(float(v), 5) for v in values] for key, values in epoch_losses(history).items()}


def _edited_networks() -> dict:
    """``architecture`` (the DCGAN's networks' digest) where they are not the study's: an edited network's stage is
    never read as the study's."""
    from digitgan.models import build_discriminator, build_generator
    from digitgan.store import STUDY_EXPORT, architecture_digest

    digest = architecture_digest(build_generator(), build_discriminator())
    return {} if digest == STUDY_EXPORT["settings"]["architecture"] else {"architecture": digest}


def evaluate_stages(
    stages=constants.LONGER_GAN_STAGES,
    seeds=constants.LABEL_SEEDS,
    label_counts=(config.SUBSET_SIZE, 1_000),
    folder: Path = LONGER_GAN_DIR,
    source=None,
    n_val: int = constants.LABEL_EFFICIENCY_VAL,
    also_read: tuple[Path, ...] = (),
    classifier_updates: int | None = None,
) -> list[dict]:
    """Trial 3 on every stage's discriminator and the CNN, every label count and seed, trained as in the label study
    and stored in ``folder`` (``also_read``: other stores of the same runs, 08's). One record per run: ``model``,
    ``gan_epochs`` (None for the CNN), ``n_labels``, ``seed``, test and validation accuracy, ``n_updates``, seconds."""
    folder = Path(folder)
    label_efficiency.settings("cnn", label_counts[0], classifier_updates=classifier_updates)  # checked first
    study = label_efficiency.Study(folder / STORE_FILE, also_read, source, n_val=n_val)
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


def _spread_folder(seed: int, root: Path = GAN_SPREAD_DIR) -> Path:
    return Path(root) / f"seed{seed}"


def train_spread(
    x_train: np.ndarray,
    judge,
    reference: np.ndarray | None = None,
    seeds=constants.GAN_SPREAD_SEEDS,
    stages=constants.GAN_SPREAD_STAGES,
    root: Path = GAN_SPREAD_DIR,
    state_root: Path = GAN_SPREAD_STATE_DIR,
    n_samples: int = config.GAN_EVAL_SAMPLES,
) -> dict:
    """The GAN's run-to-run spread, ``{seed: {epochs: scores}}``: one DCGAN per seed, as in :func:`train_stages`."""
    spread = {}
    for seed in seeds:
        folder, state = _spread_folder(seed, root), Path(state_root) / f"seed{seed}"
        spread[seed] = train_stages(x_train, stages, folder, state, judge, reference, n_samples, seed=seed)[0]
    return spread


def evaluate_spread(
    seeds=constants.GAN_SPREAD_SEEDS,
    stages=constants.GAN_SPREAD_STAGES,
    root: Path = GAN_SPREAD_DIR,
    classifier_seeds=constants.LABEL_SEEDS,
    label_counts=(config.SUBSET_SIZE, 1_000),
    **kwargs,
) -> list[dict]:
    """:func:`evaluate_stages` on every spread GAN's discriminators, each record naming its ``gan_seed``."""
    also_read, records = (constants.LABEL_EFFICIENCY_CACHE, LONGER_GAN_DIR / STORE_FILE), []
    for seed in seeds:
        runs = evaluate_stages(
            stages, classifier_seeds, label_counts, _spread_folder(seed, root), also_read=also_read, **kwargs
        )
        records += [{**r, "gan_seed": seed} for r in runs]
    return records


if __name__ == "__main__":  # the spread GANs and their classifiers, in the background (resumable)
    from digitgan import data

    print(utils.versions(), flush=True)
    d = data.load_study_data(config.SUBSET_SIZE, config.SEED)
    full = data.load_study_data(config.N_TRAIN_FULL, config.SEED)
    judge, _ = quality.train_judge(full["x_train"], full["y_train"], d["x_test"], d["y_test"], path=config.JUDGE_PATH)
    with utils.timer() as t:
        train_spread(d["x_train"], judge, d["x_test"])
        records = evaluate_spread()
    print(pd.DataFrame(records).to_string(), flush=True)
    print(f"{t['seconds'] / 60:.1f} min in this call")
