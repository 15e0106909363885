"""``checkpoints/MANIFEST.json``, what ``make verify`` checks: each committed model's files (path, SHA-256), the command
that made them, its run's parameters and where results.json records its numbers.

    python -m digitgan.tools.manifest     # write it from the committed files (after the study's runner changed one)
"""

from __future__ import annotations

import json
from pathlib import Path

from digitgan import config, fileio
from digitgan.tools.verify import CHECKPOINTS, MANIFEST, TOLERANCE, recorded, sha256

MATCHED_WHAT = "CNN given the semi-supervised GAN's updates"  # the label study's compute-matched CNN, in rows


def manifest_entry(
    name: str, what: str, kind: str, files: dict, command: str, parameters: dict, recorded: dict
) -> dict:
    """A manifest entry with each file's SHA-256 computed now (``files``: role -> path relative to the project)."""
    return {
        "name": name,
        "what": what,
        "kind": kind,
        "files": [{"role": role, "path": p, "sha256": sha256(config.PROJ_ROOT / p)} for role, p in files.items()],
        "command": command,
        "parameters": parameters,
        "recorded": recorded,
    }


def build_manifest() -> dict:
    """The manifest of the committed models (``python -m digitgan.tools.manifest``): the study's CNN,
    trials, PCA + KNN, the DCGAN and conditional GAN with the judge, and the kept weights of 08 (the semi-supervised
    GAN, the CNN and trial 3, the compute-matched CNN), 10 and 11 found in their folders."""
    from digitgan import compare

    results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
    full = config.FULL_SIZE
    ckpt = config.shown(CHECKPOINTS)
    entries = [
        manifest_entry("cnn", "CNN (10k subset, 15 epochs)", "cnn", {"weights": f"{ckpt}/cnn.weights.h5"},
                       "make reproduce (notebooks/01_cnn_baseline.ipynb)", full["01_cnn_baseline"],
                       {"accuracy": "cnn.test_accuracy"}),
    ]  # fmt: skip
    for i, notebook in enumerate(("03_trial1_frozen", "04_trial2_finetune", "05_trial3_dense128"), start=1):
        entries.append(manifest_entry(
            f"trial{i}", f"Trial {i} ({results[f'trial{i}']['head']})", "trial",
            {"weights": f"{ckpt}/{config.weights_file(f'trial{i}')}"}, f"make reproduce (notebooks/{notebook}.ipynb)",
            {**full[notebook], "head": results[f"trial{i}"]["head"]}, {"accuracy": f"trial{i}.test_accuracy"},
        ))  # fmt: skip
    small = results["comparison"]["small"]
    for key in ("cnn", "trial3"):
        entries.append(manifest_entry(
            f"{key}_1k", f"{config.name(key)}, 1,000 train / 1,000 test", "small",
            {"weights": f"{ckpt}/{compare.small_weights_file(key)}"}, "make reproduce (notebooks/06_comparison.ipynb)",
            {"model": key, "n_train": small["n_train"], "n_test": small["n_test"],
             **({"head": results["trial3"]["head"]} if key == "trial3" else {})},
            {"accuracy": f"comparison.small.{key}"},
        ))  # fmt: skip
    for key, where, n_train, n_test in (
        ("pca_knn_1k", "comparison.small.pca_knn", 1000, 1000),
        ("pca_knn_10k", "comparison.pca_knn.10k subset", config.SUBSET_SIZE, 10_000),
        ("pca_knn_60k", "comparison.pca_knn.all 60k", config.N_TRAIN_FULL, 10_000),
    ):
        chosen = recorded(results, where)
        entries.append(manifest_entry(
            key, f"PCA ({chosen['n_components']}) + KNN (k={chosen['k']}), {n_train:,} train / {n_test:,} test",
            "pca_knn", {}, "make reproduce (notebooks/06_comparison.ipynb)",
            {"n_train": n_train, "n_test": n_test, "n_components": chosen["n_components"], "k": chosen["k"]},
            {"accuracy": f"{where}.accuracy"},
        ))  # fmt: skip
    scores = {"classifier_score": "classifier_score", "frechet_distance": "frechet_distance"}
    shares = {"rarest_share": "class_fractions|min", "commonest_share": "class_fractions|max"}
    entries.append(manifest_entry(
        "dcgan", "DCGAN (50 epochs)", "dcgan",
        {"generator": f"{ckpt}/{config.GENERATOR_FILE}", "judge": f"{ckpt}/{config.JUDGE_FILE}"},
        "make reproduce (notebooks/02_dcgan.ipynb)",
        {**full["02_dcgan"], "n_samples": config.GAN_EVAL_SAMPLES, "sample_seed": 0},
        {k: f"dcgan.{v}" for k, v in {**scores, **shares}.items()},
    ))  # fmt: skip
    entries.append(manifest_entry(
        "judge_real", "The judge on real digits (the DCGAN rows' references)", "judge_real",
        {"judge": f"{ckpt}/{config.JUDGE_FILE}"}, "make reproduce (notebooks/02_dcgan.ipynb)",
        {"n_samples": config.GAN_EVAL_SAMPLES, "subset_seed": config.SEED},
        {"classifier_score": "dcgan.real_test_classifier_score",
         "frechet_distance": "dcgan.real_train_frechet_distance"},
    ))  # fmt: skip
    gen = results["future_work"]["generated_digits"]
    entries.append(manifest_entry(
        "conditional", f"Conditional DCGAN (mode-seeking weight {gen['mode_seeking']:g})", "conditional",
        {"generator": f"{ckpt}/conditional_dcgan_ms{gen['mode_seeking']:g}_generator.weights.h5",
         "judge": f"{ckpt}/{config.JUDGE_FILE}"},
        "make future (notebooks/11_generated_digits.ipynb)",
        {"n_generated": config.N_TRAIN_FULL, "n_samples": config.GAN_EVAL_SAMPLES, "sample_seed": 0,
         "mode_seeking": gen["mode_seeking"], "epochs": gen["gan_epochs"]},
        {k: f"future_work.generated_digits.{v}" for k, v in scores.items()},
    ))  # fmt: skip
    from digitgan.extensions import label_efficiency

    folder = CHECKPOINTS / Path(label_efficiency.WEIGHTS_DIR).relative_to(config.CHECKPOINT_DIR)
    settings = results["label_efficiency"]["settings"]
    for path in sorted(folder.glob("ssgan_*_seed*"), key=_labels_seed):
        n, seed = _labels_seed(path)
        entries.append(manifest_entry(
            f"ssgan{n}_seed{seed}", f"Semi-supervised GAN, {n:,} labels, seed {seed}", "ssgan",
            {"weights": config.shown(path)}, "python -m digitgan.extensions.kept ssgan",
            {**settings["ssgan"], "n_labels": n, "seed": seed},
            {"accuracy": f"label_efficiency.runs[method=ssgan,n_labels={n},seed={seed}].test_accuracy"},
        ))  # fmt: skip
    from digitgan.extensions import ssgan

    if (CHECKPOINTS / ssgan.KEPT_FILE).is_file():
        r = results["ssgan"]
        entries.append(manifest_entry(
            "ssgan07", f"Semi-supervised GAN, {r['n_labels']} labels, 07's run (seed {r['seed']})", "ssgan",
            {"weights": f"{ckpt}/{ssgan.KEPT_FILE}"}, "make extensions (notebooks/07_semi_supervised_gan.ipynb)",
            {k: r[k] for k in ("n_labels", "seed", "n_val", "learning_rate", "epochs")},
            {"accuracy": "ssgan.test_accuracy"},
        ))  # fmt: skip
    entries += label_study_entries(results)
    entries += study_seeds_entries(results)
    for arm in ("cnn_matched", "cnn_matched_early"):  # every update trained; stopped early
        matched = results["label_efficiency"].get(arm) or {}
        s = matched.get("settings") or {}
        early = s.get("patience") is not None
        for r in matched.get("runs", []):
            n, seed = r["n_labels"], r["seed"]
            entries.append(manifest_entry(
                f"{arm}_{n}_seed{seed}", f"{MATCHED_WHAT}{', stopped early' * early}, {n:,} labels, seed {seed}",
                "cnn", {"weights": f"{ckpt}/{config.MATCHED_WEIGHTS_NAME}/{r['weights']}"},  # with its dropout
                f"make claims (python -m digitgan.extensions.matched_cnn{' early' if early else ''})",
                {"dropout": s["dropout"], "n_labels": n, "seed": seed, "updates": s["updates"], "patience":
                 s["patience"], "updates_trained": r["updates_trained"]},
                {"accuracy": f"label_efficiency.{arm}.runs[n_labels={n},seed={seed}].test_accuracy"},
            ))  # fmt: skip
    entries += kept_entries(results)
    return {"format": 1, "tolerance": TOLERANCE, "models": entries}


def _labels_seed(path: Path) -> tuple[int, int]:
    """``(n_labels, seed)`` of a kept weights file named ``<method>_<n_labels>_seed<seed>_<key>.weights.h5``."""
    n_labels, seed = path.name.split("_seed")[0].rsplit("_", 1)[1], path.name.split("_seed")[1].split("_")[0]
    return int(n_labels), int(seed)


def label_study_entries(results: dict) -> list[dict]:
    """08's CNN and trial 3 at 1,500 updates and at 15 epochs, and 09's trial 3 on the GAN stage it reports
    (``digitgan.extensions.kept.label_study_runs``), each entry with the number results.json reports for its run; a
    run whose weights file is missing is left out."""
    from digitgan.extensions import kept

    settings, entries = results["label_efficiency"]["settings"], []
    for run in kept.label_study_runs():
        method, n, seed, s, stage = run["method"], run["n_labels"], run["seed"], run["settings"], run["stage"]
        if not run["weights"].is_file():
            continue
        if stage is not None:
            where = f"future_work.longer_gan.runs[model={method},gan_epochs={stage},n_labels={n},seed={seed}]"
        else:
            where = f"label_efficiency.{'runs' if s['updates'] == settings[method]['updates'] else 'epoch_budget.runs'}"
            where += f"[method={method},n_labels={n},seed={seed}]"
        name = {"cnn": "CNN", "trial3": config.name("trial3")}[method] + (f" after {stage} GAN epochs" if stage else "")
        entries.append(manifest_entry(
            f"{method}{f'_stage{stage}' if stage else ''}_{n}_{s['updates']}_seed{seed}",
            f"{name}, {n:,} labels, {s['updates']:,} updates, seed {seed}", "cnn" if method == "cnn" else "trial",
            {"weights": config.shown(run["weights"])}, "python -m digitgan.extensions.kept label-study",
            {**({"head": s["head"]} if method == "trial3" else {}), "n_labels": n, "seed": seed,
             "updates": s["updates"]}, {"accuracy": f"{where}.test_accuracy"},
        ))  # fmt: skip
    return entries


def study_seeds_entries(results: dict) -> list[dict]:
    """The study's CNN and trials 1-3 at training seeds 42-44 (the results table's seeds column), where their weights
    are kept (``digitgan.extensions.kept.keep_study_seeds``)."""
    from digitgan.data import load_study_data
    from digitgan.extensions import kept, study_seeds

    data, entries = load_study_data(config.SUBSET_SIZE, config.SEED), []
    for name in study_seeds.MODELS:
        for seed in study_seeds.SEEDS:
            path = kept.kept_path(config.STUDY_SEEDS_STORE, name, seed, study_seeds.run_inputs(name, seed, data))
            if not path.is_file():
                continue
            head = {} if name == "cnn" else {"head": config.trial_schedule(name)[0]}
            entries.append(manifest_entry(
                f"{name}_seed{seed}", f"{config.name(name)}, 10k subset, 15 epochs, seed {seed}",
                "cnn" if name == "cnn" else "trial", {"weights": config.shown(path)},
                "python -m digitgan.extensions.kept study-seeds", {**head, "seed": seed},
                {"accuracy": f"comparison.seeds.{name}.by_seed.{seed}"},
            ))  # fmt: skip
    return entries


def kept_entries(results: dict) -> list[dict]:
    """The kept CNNs of 10 (modern recipe) and 11 (trained on 10k generated digits, and on the real 10,000) found in
    their ``weights/`` folders, each with the recipe its run store records and the number results.json reports for its
    seed (a file whose run is not the reported one then fails ``make verify``). Every seed of the study needs its
    file."""
    from digitgan.extensions import kept, protocols

    reported = "future_work.protocols.runs[protocol=modern,model={},n_train=10000]"
    modern = {m: recorded(results, reported.format(m)) for m in ("cnn", "trial3")}
    gen = results["future_work"]["generated_digits"]
    runs = {
        **{f"{m}_modern": (f"{config.name(m)}, modern recipe, 10k", protocols.PROTOCOLS_DIR,
                           {**modern[m]["recipe"], "augment": True, "model": m}, f"{reported.format(m)}.by_seed",
                           "notebooks/10_data_and_optimizers") for m in modern},
        **{name: (what, kept.GENERATED_FOLDER, {**protocols.RECIPE_DEFAULTS, "learning_rate": gen["learning_rate"],
                                                "epochs": config.TRANSFER_EPOCHS, "augment": False, "model": "cnn"},
                  f"future_work.generated_digits.arms.{arm}.by_seed", "notebooks/11_generated_digits")
           for name, what, arm in (("cnn_generated10k", "CNN trained on 10k generated digits", kept.GENERATED_ARM),
                                   ("cnn_real10k", "The same CNN on the real 10,000 images (11)", "real"))},
    }  # fmt: skip
    entries = []
    for name, (what, folder, recipe, where, notebook) in runs.items():
        folder = CHECKPOINTS / Path(folder).relative_to(config.CHECKPOINT_DIR) / kept.FOLDER
        paths = sorted(folder.glob(f"{name}_seed*.weights.h5"))
        files = {int(p.name.removeprefix(f"{name}_seed").split("_")[0]): p for p in paths}
        missing = sorted(set(config.LABEL_SEEDS) - set(files))
        if missing or len(files) < len(paths):
            raise ValueError(f"{config.shown(folder)} needs one {name} weights file per seed {list(config.LABEL_SEEDS)}"
                             f", has {[p.name for p in paths]}: run `make claims` (python -m digitgan.extensions.kept)"
                             " and keep only the files of the runs results.json reports")  # fmt: skip
        for seed, path in sorted(files.items()):
            entries.append(manifest_entry(
                f"{name}_seed{seed}", f"{what}, seed {seed}", "kept", {"weights": config.shown(path)},
                f"python -m digitgan.extensions.kept (the run of {notebook}.ipynb, retrained)",
                {**recipe, "optimizer": "adam", "seed": seed}, {"accuracy": f"{where}.{seed}"},
            ))  # fmt: skip
    return entries


if __name__ == "__main__":
    fileio.atomic_write_text(MANIFEST, json.dumps(build_manifest(), indent=1) + "\n")
    print(f"wrote {config.shown(MANIFEST)}")
