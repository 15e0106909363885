"""Write ``checkpoints/MANIFEST.json``: each committed model's files, their SHA-256, command, parameters and numbers."""

import json

from digitgan import compare, config, fileio
from digitgan.extensions import constants, kept, protocols, ssgan, study_seeds
from digitgan.tools.verify import MANIFEST, TOLERANCE, recorded, sha256

_CKPT = config.shown(MANIFEST.parent)  # the committed checkpoints/
_JUDGE = f"{_CKPT}/{config.JUDGE_FILE}"
_SCORES = ("classifier_score", "frechet_distance")
_reproduce = "make reproduce (notebooks/{}.ipynb)".format


def _entry(name: str, what: str, kind: str, command: str, parameters: dict, where: dict | str, **files: str) -> dict:
    """``files``: role=path in the project; ``where``: each measure's place in results.json, or the accuracy's."""
    files = [{"role": role, "path": p, "sha256": sha256(config.PROJ_ROOT / p)} for role, p in files.items()]
    recorded = {"accuracy": where} if isinstance(where, str) else where
    return dict(name=name, what=what, kind=kind, files=files, command=command, parameters=parameters, recorded=recorded)


def _per_seed(store: str, prefix: str, what: str, kind: str, command: str, parameters: dict, where: str, name=None):
    """An entry per seed of ``checkpoints/<store>/weights/<prefix>_seed<S>_*.weights.h5``; ``where`` has ``{seed}``."""
    folder = MANIFEST.parent / store / kept.FOLDER
    paths = sorted(folder.glob(f"{prefix}_seed*.weights.h5"))
    files = {int(p.name.removeprefix(f"{prefix}_seed").split("_")[0]): p for p in paths}
    if set(constants.LABEL_SEEDS) - set(files) or len(files) < len(paths):
        raise ValueError(f"{folder} needs one {prefix} weights file per seed {constants.LABEL_SEEDS}: make claims")
    for seed, path in sorted(files.items()):
        entry = (f"{name or prefix}_seed{seed}", f"{what}, seed {seed}", kind, command, {**parameters, "seed": seed})
        yield _entry(*entry, where.format(seed=seed), weights=config.shown(path))


def _entries(results: dict):
    """Every committed model: 01-06's, then 07-11's, then what ``make claims`` kept."""
    full, small = config.FULL_SIZE, results["comparison"]["small"]
    what, command = "CNN (10k subset, 15 epochs)", _reproduce("01_cnn_baseline")
    weights = f"{_CKPT}/cnn.weights.h5"
    yield _entry("cnn", what, "cnn", command, full["01_cnn_baseline"], "cnn.test_accuracy", weights=weights)
    for i, notebook in enumerate(("03_trial1_frozen", "04_trial2_finetune", "05_trial3_dense128"), start=1):
        key, head = f"trial{i}", results[f"trial{i}"]["head"]
        parameters, weights = {**full[notebook], "head": head}, f"{_CKPT}/{config.weights_file(key)}"
        what, where = f"Trial {i} ({head})", f"{key}.test_accuracy"
        yield _entry(key, what, "trial", _reproduce(notebook), parameters, where, weights=weights)
    command = _reproduce("06_comparison")
    for key in ("cnn", "trial3"):
        parameters = {"model": key, "n_train": small["n_train"], "n_test": small["n_test"]}
        parameters |= {"head": results["trial3"]["head"]} if key == "trial3" else {}
        what, weights = f"{config.name(key)}, 1,000 train / 1,000 test", f"{_CKPT}/{compare.small_weights_file(key)}"
        yield _entry(f"{key}_1k", what, "small", command, parameters, f"comparison.small.{key}", weights=weights)
    for key, place, n_train, n_test in (
        ("pca_knn_1k", "comparison.small.pca_knn", 1000, 1000),
        ("pca_knn_10k", "comparison.pca_knn.10k subset", config.SUBSET_SIZE, 10_000),
        ("pca_knn_60k", "comparison.pca_knn.all 60k", config.N_TRAIN_FULL, 10_000),
    ):
        n, k = map(recorded(results, place).get, ("n_components", "k"))
        what = f"PCA ({n}) + KNN (k={k}), {n_train:,} train / {n_test:,} test"
        parameters = {"n_train": n_train, "n_test": n_test, "n_components": n, "k": k}
        yield _entry(key, what, "pca_knn", command, parameters, f"{place}.accuracy")
    command, generator = _reproduce("02_dcgan"), f"{_CKPT}/{config.GENERATOR_FILE}"
    parameters = {**full["02_dcgan"], "n_samples": config.GAN_EVAL_SAMPLES, "sample_seed": 0}
    where = {k: f"dcgan.{k}" for k in _SCORES}
    where |= {"rarest_share": "dcgan.class_fractions|min", "commonest_share": "dcgan.class_fractions|max"}
    yield _entry("dcgan", "DCGAN (50 epochs)", "dcgan", command, parameters, where, generator=generator, judge=_JUDGE)
    what = "The judge on real digits (the DCGAN rows' references)"
    parameters = {"n_samples": config.GAN_EVAL_SAMPLES, "subset_seed": config.SEED}
    where = dict(zip(_SCORES, ("dcgan.real_test_classifier_score", "dcgan.real_train_frechet_distance"), strict=True))
    yield _entry("judge_real", what, "judge_real", command, parameters, where, judge=_JUDGE)
    # 11's conditional DCGAN, 07's and 08's semi-supervised GANs, 08's and 09's classifiers
    gen, command = results["future_work"]["generated_digits"], "make future (notebooks/11_generated_digits.ipynb)"
    what = f"Conditional DCGAN (mode-seeking weight {gen['mode_seeking']:g})"
    parameters = {"n_generated": config.N_TRAIN_FULL, "n_samples": config.GAN_EVAL_SAMPLES, "sample_seed": 0}
    parameters |= {"mode_seeking": gen["mode_seeking"], "epochs": gen["gan_epochs"]}
    where = {k: f"future_work.generated_digits.{k}" for k in _SCORES}
    generator = f"{_CKPT}/conditional_dcgan_ms{gen['mode_seeking']:g}_generator.weights.h5"
    yield _entry("conditional", what, "conditional", command, parameters, where, generator=generator, judge=_JUDGE)
    settings, command = results["label_efficiency"]["settings"]["ssgan"], "python -m digitgan.extensions.kept ssgan"
    for n in constants.LABEL_COUNTS:
        where = f"label_efficiency.runs[method=ssgan,n_labels={n},seed={{seed}}].test_accuracy"
        what, parameters = f"Semi-supervised GAN, {n:,} labels", {**settings, "n_labels": n}
        yield from _per_seed("label_study", f"ssgan_{n}", what, "ssgan", command, parameters, where, name=f"ssgan{n}")
    r, command = results["ssgan"], "make extensions (notebooks/07_semi_supervised_gan.ipynb)"
    what = f"Semi-supervised GAN, {r['n_labels']} labels, 07's run (seed {r['seed']})"
    parameters = {k: r[k] for k in ("n_labels", "seed", "n_val", "learning_rate", "epochs")}
    weights = f"{_CKPT}/{ssgan.KEPT_FILE}"
    yield _entry("ssgan07", what, "ssgan", command, parameters, "ssgan.test_accuracy", weights=weights)
    # 08's CNN and trial 3 at 1,500 updates and at 15 epochs, and 09's trial 3
    settings, command = results["label_efficiency"]["settings"], "python -m digitgan.extensions.kept label-study"
    for run in kept.label_study_runs():
        method, n, seed, s, stage = run["method"], run["n_labels"], run["seed"], run["settings"], run["stage"]
        if stage is not None:
            where = f"future_work.longer_gan.runs[model={method},gan_epochs={stage},n_labels={n},seed={seed}]"
        else:
            where = f"label_efficiency.{'runs' if s['updates'] == settings[method]['updates'] else 'epoch_budget.runs'}"
            where += f"[method={method},n_labels={n},seed={seed}]"
        name = {"cnn": "CNN", "trial3": config.name("trial3")}[method] + (f" after {stage} GAN epochs" if stage else "")
        what = f"{name}, {n:,} labels, {s['updates']:,} updates, seed {seed}"
        head = {"head": s["head"]} if method == "trial3" else {}
        parameters = {**head, "n_labels": n, "seed": seed, "updates": s["updates"]}
        key = f"{method}{f'_stage{stage}' if stage else ''}_{n}_{s['updates']}_seed{seed}"
        kind, weights = "cnn" if method == "cnn" else "trial", config.shown(run["weights"])
        yield _entry(key, what, kind, command, parameters, f"{where}.test_accuracy", weights=weights)
    # what make claims kept: the study's models at seeds 42-44, 08's compute-matched CNNs, 10's and 11's CNNs
    command = "python -m digitgan.extensions.kept study-seeds"
    for name in study_seeds.MODELS:
        what, where = f"{config.name(name)}, 10k subset, 15 epochs", f"comparison.seeds.{name}.by_seed.{{seed}}"
        parameters, kind = ({}, "cnn") if name == "cnn" else ({"head": constants.trial_schedule(name)[0]}, "trial")
        yield from _per_seed("study_seeds", name, what, kind, command, parameters, where)
    for arm in ("cnn_matched", "cnn_matched_early"):
        matched, early = results["label_efficiency"][arm], arm.endswith("early")
        s, command = matched["settings"], f"make claims (python -m digitgan.extensions.matched_cnn{' early' * early})"
        for r in matched["runs"]:
            n, seed = r["n_labels"], r["seed"]
            what = f"CNN given the semi-supervised GAN's updates{', stopped early' * early}, {n:,} labels, seed {seed}"
            parameters = {"dropout": s["dropout"], "n_labels": n, "seed": seed, "updates": s["updates"]}
            parameters |= {"patience": s["patience"], "updates_trained": r["updates_trained"]}
            where = f"label_efficiency.{arm}.runs[n_labels={n},seed={seed}].test_accuracy"
            weights = f"{_CKPT}/{constants.MATCHED_WEIGHTS_NAME}/{r['weights']}"
            yield _entry(f"{arm}_{n}_seed{seed}", what, "cnn", command, parameters, where, weights=weights)
    command = "python -m digitgan.extensions.kept (the run of notebooks/{}.ipynb, retrained)".format
    for m in ("cnn", "trial3"):
        reported = f"future_work.protocols.runs[protocol=modern,model={m},n_train=10000]"
        recipe = {**recorded(results, reported)["recipe"], "augment": True, "model": m, "optimizer": "adam"}
        what, run = f"{config.name(m)}, modern recipe, 10k", command("10_data_and_optimizers")
        yield from _per_seed("protocols", f"{m}_modern", what, "kept", run, recipe, f"{reported}.by_seed.{{seed}}")
    rate = results["future_work"]["generated_digits"]["learning_rate"]
    recipe = {**protocols.RECIPE_DEFAULTS, "learning_rate": rate, "epochs": config.TRANSFER_EPOCHS}
    recipe |= {"augment": False, "model": "cnn", "optimizer": "adam"}
    for name, what, arm in (
        ("cnn_generated10k", "CNN trained on 10k generated digits", kept.GENERATED_ARM),
        ("cnn_real10k", "The same CNN on the real 10,000 images (11)", "real"),
    ):
        where = f"future_work.generated_digits.arms.{arm}.by_seed.{{seed}}"
        yield from _per_seed("generated_digits", name, what, "kept", command("11_generated_digits"), recipe, where)


def _build_manifest() -> dict:
    entries = _entries(fileio.load_results(config.COMMITTED_RESULTS_PATH))
    return {"format": 1, "tolerance": TOLERANCE, "models": list(entries)}


if __name__ == "__main__":
    fileio.atomic_write_text(MANIFEST, json.dumps(_build_manifest(), indent=1) + "\n")
    print(f"wrote {config.shown(MANIFEST)}")
