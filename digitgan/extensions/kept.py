"""``python -m digitgan.extensions.kept [label-study | study-seeds | ssgan | <one of RUNS>]``: stored runs retrained."""

import functools
import itertools
import sys
from pathlib import Path

from digitgan import config, fileio, utils
from digitgan.data import load_label_efficiency_data, load_study_data
from digitgan.extensions import conditional, constants, generated, longer_gan, protocols, study_seeds, verdicts
from digitgan.extensions import label_efficiency as le
from digitgan.store import STORE_FILE, Store, record_committed_digest
from digitgan.store import key as store_key

FOLDER = "weights"  # beside the run store; committed (the stores' own kept_weights/ are git-ignored)
GENERATED_ARM = "generated 10k"
GENERATED_FOLDER = config.CHECKPOINT_DIR / "generated_digits"  # 11's run store
MODE_SEEKING = 0.5  # the conditional DCGAN whose digits 11's reported arms trained on
RUNS = ("cnn_modern", "trial3_modern", "cnn_generated10k", "cnn_real10k")  # 10's and 11's kept CNNs


def _study(name: str) -> tuple[protocols.Study, dict]:
    """The run store and recipe of one of ``RUNS``: 10's at 10,000 images (augmented), or 11's CNN on its digits."""
    if name.endswith("_modern"):
        recipe = protocols.recipe_settings(constants.MODERN_DROPOUT_RECIPE)
        study = protocols.Study(config.SUBSET_SIZE, protocols.PROTOCOLS_DIR)
        return study, {"model": name.removesuffix("_modern"), "augment": True, **recipe}
    real, arm, x_gen, y_gen = protocols.load_data(config.SUBSET_SIZE), "real", None, None
    if name == "cnn_generated10k":  # the committed conditional DCGAN's digits
        generator = conditional.build_conditional_generator()
        path = config.CHECKPOINT_DIR / f"{generated.cgan_name(MODE_SEEKING)}_generator.weights.h5"
        fileio.load_weights(generator, path, "Restore it with `git checkout -- checkpoints/`.")
        arm, (x_gen, y_gen) = GENERATED_ARM, conditional.generate_labelled(generator, config.N_TRAIN_FULL, seed=0)
    study = generated.arm_study(arm, real, x_gen, y_gen, GENERATED_FOLDER, generated.arm_tag(MODE_SEEKING))
    rate = generated.real_learning_rate(real, GENERATED_FOLDER)  # the stored choice
    recipe = {"learning_rate": rate, "epochs": config.TRANSFER_EPOCHS, **protocols.RECIPE_DEFAULTS}
    return study, {"model": "cnn", "augment": False, **recipe}


def kept_path(store_path: Path, name: str, seed: int, inputs: dict) -> Path:
    """Where the kept weights of a stored run go: ``weights/<name>_seed<S>_<run key>.weights.h5`` beside its store."""
    return Path(store_path).parent / FOLDER / f"{name}_seed{seed}_{store_key(inputs)}.weights.h5"


def _recorded(study: protocols.Study, inputs: dict) -> dict | None:
    """The stored run with these inputs or one differing only in its generated digits (drawn on another CPU model)."""
    same = inputs | {"digits": None}
    others = (r["result"] for r in study.store.records().values() if r["inputs"] | {"digits": None} == same)
    return study.store.get(inputs) or next(others, None)


def _to_train(recorded: dict | None, row: dict, store: Path, path: Path) -> bool:
    """Whether this recorded, tested run's weights are still to be kept (no record: an error)."""
    if recorded is None or "test_accuracy" not in recorded:
        raise ValueError(f"no stored run {row} in {config.shown(store)}: run its notebook (or the study) first")
    return not path.is_file()


def _report(row: dict, recorded: dict, result: dict, kept: str) -> None:
    """Print one retrained run's row: recorded and retrained test accuracy and ``kept`` epoch or round."""
    row |= {"recorded": recorded["test_accuracy"], "retrained": result["test_accuracy"]}
    row |= {f"recorded_{kept}": recorded[kept], kept: result[kept], "machine": utils.machine()}
    print(fileio.dumps(row), flush=True)


def keep(name: str) -> None:
    """Retrain the stored runs of ``name`` (one of ``RUNS``), keeping their weights (other digits: a new run)."""
    study, r = _study(name)
    recipe, args = {k: r[k] for k in protocols.RECIPE_DEFAULTS}, (r["model"], "adam", r["learning_rate"], r["epochs"])
    for seed in constants.LABEL_SEEDS:
        inputs = study.inputs(*args, seed, r["augment"], **recipe)
        recorded, path = _recorded(study, inputs), kept_path(study.store.path, name, seed, inputs)
        if not _to_train(recorded, row := {"run": name, "seed": seed, "weights": path.name}, study.store.path, path):
            continue
        if study.store.get(inputs) is None:
            result = study.run(*args, seed, r["augment"], **recipe)
            model, _ = protocols.build_model(
                r["model"], r["augment"], seed, strength=r["strength"], dropout=r["dropout"]
            )
            fileio.load_weights(model, study.weights_path(inputs), "Delete the run from its store to train it again.")
            fileio.save_weights(model, path)
        else:
            train = (r["model"], study.data, *args[1:], seed, r["augment"])
            result = protocols.train_run(*train, weights_path=path, **recipe)
        _report(row, recorded, result, "kept_epoch")


def label_study_runs() -> list[dict]:
    """08's reported CNN and trial-3 runs (1,500 updates, 15 epochs) and 09's trial 3 on the best GAN stage."""
    plan = [(budget, n_labels, None) for budget in ("updates", "epochs") for n_labels in constants.LABEL_COUNTS]
    stages = fileio.load_results(config.COMMITTED_RESULTS_PATH)["future_work"]["longer_gan"]
    plan += [("updates", n, item["best"]) for n, item in verdicts.longer_gan_items(stages)["labels"].items()]
    runs = {}
    for budget, n_labels, stage in plan:
        folder = Path(constants.LABEL_EFFICIENCY_CACHE).parent if stage is None else longer_gan.LONGER_GAN_DIR
        disc = None if stage is None else longer_gan.discriminator_path(longer_gan.LONGER_GAN_DIR, stage)
        extra = le.epoch_budget(n_labels) if budget == "epochs" else {}
        for seed in constants.LABEL_SEEDS:
            for method in ("cnn", "trial3") if stage is None else ("trial3",):
                s = le.settings(method, n_labels, discriminator_path=disc, **extra)
                inputs = le.run_inputs(method, n_labels, seed, s)
                weights = kept_path(folder / STORE_FILE, f"{method}_{n_labels}", seed, inputs)
                run = dict(method=method, n_labels=n_labels, seed=seed, settings=s, stage=stage, discriminator=disc)
                runs.setdefault(weights, {**run, "store": folder / STORE_FILE, "weights": weights})
    return list(runs.values())


def _keep_label_study() -> None:
    """Retrain 08's and 09's stored classifier runs (:func:`label_study_runs`), saving the weights each keeps."""
    for run in label_study_runs():
        n_labels, seed, s, weights = run["n_labels"], run["seed"], run["settings"], run["weights"]
        recorded = Store(run["store"]).get(le.run_inputs(run["method"], n_labels, seed, s))
        row = {"run": run["method"], "stage": run["stage"], "n_labels": n_labels, "seed": seed, "updates": s["updates"]}
        if _to_train(recorded, row := {**row, "weights": weights.name}, run["store"], weights):
            data = load_label_efficiency_data(n_labels, seed, n_val=s["n_val"])
            _report(row, recorded, le.run_classifier(data, seed, s, True, run["discriminator"], weights), "kept_round")


def _keep_ssgan() -> None:
    """Retrain the study's SSGAN runs (resumable) into ``le.WEIGHTS_DIR``, the first kept as ``first_training``."""
    n_labels = constants.SSGAN_N_LABELS
    rate, _ = le.choose_ssgan_learning_rate(constants.LABEL_COUNTS[0], constants.LABEL_SEEDS[0])  # the stored sweep
    store = Store(constants.LABEL_EFFICIENCY_CACHE)
    for seed in constants.LABEL_SEEDS:
        s = le.settings("ssgan", n_labels, learning_rate=rate)
        inputs = le.run_inputs("ssgan", n_labels, seed, s)
        recorded, path = store.get(inputs), kept_path(store.path, f"ssgan_{n_labels}", seed, inputs)
        if not _to_train(recorded, row := {"n_labels": n_labels, "seed": seed, "weights": path.name}, store.path, path):
            continue
        keys = ("test_accuracy", "val_accuracy", "kept_epoch", "kept_weights")
        first = recorded.get("first_training") or {k: recorded[k] for k in keys}
        data = load_label_efficiency_data(n_labels, seed, n_val=s["n_val"])
        model, history = le.train_ssgan_run(data, seed, s)
        fileio.save_weights(model.best_discriminator, path)
        record_committed_digest(path)
        result = le.ssgan_result(model, history, data, s)  # what the label study records
        result.update(wall_seconds=recorded["wall_seconds"], settings=s, weights=path.name, first_training=first)
        store.put(inputs, result)
        _report(row, first, result, "kept_epoch")


def _keep_study_seeds() -> None:
    """Retrain the study's CNN and trials 1-3 at training seeds 42-44 (:mod:`.study_seeds`), saving their weights."""
    store, data = Store(config.STUDY_SEEDS_STORE), load_study_data(config.SUBSET_SIZE, config.SEED)
    for seed, name in itertools.product(study_seeds.SEEDS, study_seeds.MODELS):
        inputs = study_seeds.run_inputs(name, seed, data)
        recorded, path = store.get(inputs), kept_path(config.STUDY_SEEDS_STORE, name, seed, inputs)
        if _to_train(recorded, row := {"run": name, "seed": seed, "weights": path.name}, store.path, path):
            model, result = study_seeds.train(name, seed, data)
            fileio.save_weights(model, path)
            _report(row, recorded, result, "train_accuracy")


if __name__ == "__main__":
    print(utils.versions(), flush=True)
    commands = {name: functools.partial(keep, name) for name in RUNS}
    commands |= {"label-study": _keep_label_study, "study-seeds": _keep_study_seeds}
    every = [*commands]  # no command: every run but the SSGAN's
    commands["ssgan"] = _keep_ssgan
    for command in sys.argv[1:2] or every:
        if command not in commands:
            sys.exit(f"Unknown command {command!r}: give one of {', '.join(commands)}, or none to keep every run.")
        commands[command]()
