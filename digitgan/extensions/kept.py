"""Kept weights for README headlines that were scored without them: 10's CNN and trial 3 with the modern recipe,
11's CNN trained only on 10k generated digits, and 08's CNN and trial 3 at both budgets (1,500 updates, 15 epochs) at
every label count (3 seeds each). ``python -m digitgan.extensions.kept`` retrains each stored run with its recorded
recipe and seed, saves the weights it keeps into the committed ``weights/`` folder beside its run store (what ``make
verify`` recomputes) and prints the recorded and the retrained test accuracy. A run whose weights file is already
there is not trained again.
"""

from __future__ import annotations

import json
from pathlib import Path

from digitgan import config, utils
from digitgan.extensions import conditional, generated, protocols
from digitgan.store import Store, array_digest
from digitgan.store import key as store_key

FOLDER = "weights"  # beside the run store; committed (the stores' own kept_weights/ are git-ignored)
GENERATED_ARM = "generated 10k"
GENERATED_FOLDER = config.CHECKPOINT_DIR / "generated_digits"  # 11's run store
MODE_SEEKING = 0.5  # the conditional DCGAN whose digits 11's reported arms trained on


def modern(model: str = "cnn") -> tuple[protocols.Study, dict]:
    """10's run store at 10,000 images and the recipe it reports for ``model`` (augmented, Adam; the same for both)."""
    recipe = protocols.recipe_settings(config.MODERN_DROPOUT_RECIPE)
    study = protocols.Study(config.SUBSET_SIZE, protocols.PROTOCOLS_DIR)
    return study, {"model": model, "optimizer": "adam", "augment": True, **recipe}


def generated_cnn() -> tuple[protocols.Study, dict]:
    """11's run store for the CNN trained on the first 10,000 digits drawn from the committed conditional DCGAN, and
    the recipe those runs were trained with (Adam at the rate chosen for the real arm, 15 epochs)."""
    generator = conditional.build_conditional_generator()
    path = config.CHECKPOINT_DIR / f"{generated.cgan_name(MODE_SEEKING)}_generator.weights.h5"
    utils.load_weights(generator, path, "Restore it with `git checkout -- checkpoints/`.")
    x_gen, y_gen = conditional.generate_labelled(generator, config.N_TRAIN_FULL, seed=0)
    real = protocols.load_data(config.SUBSET_SIZE)
    data = generated.arm_data(GENERATED_ARM, real, x_gen, y_gen)
    tag = f"{generated.arm_tag(MODE_SEEKING)}: {GENERATED_ARM}"
    study = protocols.Study(len(data["x_train"]), GENERATED_FOLDER, tag=tag, data=data,
                            inputs={"digits": array_digest(x_gen, y_gen)})  # fmt: skip
    rate = generated.real_learning_rate(real, GENERATED_FOLDER)  # the stored choice
    return study, {"model": "cnn", "optimizer": "adam", "augment": False, "learning_rate": rate,
                   "epochs": config.TRANSFER_EPOCHS, **protocols.RECIPE_DEFAULTS}  # fmt: skip


RUNS = {"cnn_modern": modern, "trial3_modern": lambda: modern("trial3"), "cnn_generated10k": generated_cnn}


def weights_path(study: protocols.Study, name: str, seed: int, inputs: dict) -> Path:
    return Path(study.store.path).parent / FOLDER / f"{name}_seed{seed}_{store_key(inputs)}.weights.h5"


def _recorded(study: protocols.Study, inputs: dict) -> dict | None:
    """The stored run with these inputs or, failing that, the one that differs only in its generated digits (drawn
    on another CPU model, whose float rounding changes their digest)."""
    found = study.store.get(inputs)
    if found is not None:
        return found
    same = {k: v for k, v in inputs.items() if k != "digits"}
    return next((r["result"] for r in study.store.records().values()
                 if {k: v for k, v in r["inputs"].items() if k != "digits"} == same), None)  # fmt: skip


def keep(name: str, seeds=config.LABEL_SEEDS) -> list[dict]:
    """Retrain the stored runs of ``name`` (a key of ``RUNS``) at ``seeds``, keeping their weights. A run whose
    generated digits came out different on this CPU model is a new run, stored beside the recorded one (11 reuses
    it). One row per seed: the recorded and the retrained test accuracy and kept epoch."""
    study, r = RUNS[name]()
    recipe = {k: r[k] for k in protocols.RECIPE_DEFAULTS}
    args = (r["model"], r["optimizer"], r["learning_rate"], r["epochs"])
    rows = []
    for seed in seeds:
        inputs = study.inputs(*args, seed, r["augment"], **recipe)
        recorded = _recorded(study, inputs)
        if recorded is None or "test_accuracy" not in recorded:
            raise ValueError(f"no stored {name} run at seed {seed} in {config.shown(study.store.path)}: run its "
                             "notebook first")  # fmt: skip
        path = weights_path(study, name, seed, inputs)
        model, _ = protocols.build_model(r["model"], r["augment"], seed, strength=recipe["strength"],
                                         dropout=recipe["dropout"])  # fmt: skip
        if path.is_file():
            utils.load_weights(model, path, f"Delete {path} to train this run again.")
            result = {"test_accuracy": protocols.accuracy_on_test(model, study.data), "kept_epoch": None}
        elif study.store.get(inputs) is None:
            result = study.run(*args, seed, r["augment"], **recipe)
            utils.load_weights(model, study.weights_path(inputs), "Delete the run from its store to train it again.")
            utils.save_weights(model, path)
        else:
            result = protocols.train_run(r["model"], study.data, *args[1:], seed, r["augment"], weights_path=path,
                                         **recipe)
        row = {"run": name, "seed": seed, "weights": path.name, "recorded": recorded["test_accuracy"],
               "retrained": result["test_accuracy"], "recorded_kept_epoch": recorded["kept_epoch"],
               "kept_epoch": result["kept_epoch"], "machine": utils.machine()}  # fmt: skip
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows

def label_study_runs(seeds=config.LABEL_SEEDS) -> list[tuple[str, int, int, dict]]:
    """``(method, n_labels, seed, settings)`` of 08's CNN and trial-3 runs that its headline rows report: at
    1,500 updates and at the original's 15 epochs (the same runs at 10,000 labels), 3 seeds each."""
    from digitgan.extensions import label_efficiency as le

    runs, seen = [], set()
    for budget in ("updates", "epochs"):
        for n_labels in config.LABEL_COUNTS:
            for seed in seeds:
                for method in ("cnn", "trial3"):
                    extra = le.epoch_budget(n_labels) if budget == "epochs" else {}
                    s = le.settings(method, n_labels, **extra)
                    run_key = store_key(le.run_inputs(method, n_labels, seed, s))
                    if run_key not in seen:
                        seen.add(run_key)
                        runs.append((method, n_labels, seed, s))
    return runs


def label_study_path(method: str, n_labels: int, seed: int, run_settings: dict) -> Path:
    from digitgan.extensions import label_efficiency as le

    inputs = le.run_inputs(method, n_labels, seed, run_settings)
    return Path(le.MATCHED_WEIGHTS_DIR) / f"{method}_{n_labels}_seed{seed}_{store_key(inputs)}.weights.h5"


def keep_label_study(seeds=config.LABEL_SEEDS) -> list[dict]:
    """Retrain 08's stored CNN and trial-3 runs (:func:`label_study_runs`) with their recorded settings and seed,
    saving the weights each keeps; the stored record is left as it is. One row per run: recorded and retrained."""
    from digitgan.data import load_label_efficiency_data
    from digitgan.extensions import label_efficiency as le

    store, rows = Store(config.LABEL_EFFICIENCY_CACHE), []
    for method, n_labels, seed, s in label_study_runs(seeds):
        recorded = store.get(le.run_inputs(method, n_labels, seed, s))
        if recorded is None or "test_accuracy" not in recorded:
            raise ValueError(f"no stored {method} run at {n_labels} labels, seed {seed}: run the label study first")
        path = label_study_path(method, n_labels, seed, s)
        if path.is_file():
            continue
        data = load_label_efficiency_data(n_labels, seed, n_val=s["n_val"])
        result = le.RUNNERS[method](data, seed, s, weights_path=path)
        row = {"run": method, "n_labels": n_labels, "seed": seed, "updates": s["updates"], "weights": path.name,
               "recorded": recorded["test_accuracy"], "retrained": result["test_accuracy"],
               "recorded_kept_round": recorded["kept_round"], "kept_round": result["kept_round"],
               "machine": utils.machine()}  # fmt: skip
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


if __name__ == "__main__":
    import sys

    print(utils.versions(), flush=True)
    if sys.argv[1:] == ["label-study"]:
        keep_label_study()
    else:
        for run_name in RUNS:
            keep(run_name)
        keep_label_study()
