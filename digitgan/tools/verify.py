"""``make verify``: every headline number recomputed from the committed weights, compared with figures/results.json.

``checkpoints/MANIFEST.json`` lists each model the README's results table rests on: its files (path, SHA-256), the
command that produced them, the run's parameters and where results.json records its number. ``verify`` checks each
file's digest first (a changed file is named), then recomputes the number either way, so a file replaced together
with its digest still fails when its accuracy does not match. It prints one table (what, recorded, recomputed,
difference, verdict) and exits 1 when any number is off by more than its tolerance:

- accuracies: 0.0003, three of the 10,000 test images. On one machine the recomputation is exact; another CPU may
  round a logit differently near a tie, which moves a test image or two, never more in our checks.
- classifier score: 0.01, Fréchet distance: 0.1 (both on 10,000 generated digits): float32 sums over 10,000 images
  through two networks, whose order differs between CPUs' kernels; that moves the fourth significant figure at most,
  well below the two decimals (score) and one decimal (distance) the study reads.

Train accuracies are each fit's last-epoch running mean (with dropout), which no file holds: ``make verify-train``
(``--retrain``) trains 01 and 03-05's models again with the study's seed and recipe and compares their train and test
accuracy too. They are the same bits on the CPU model that made the record, and within the seeds' spread on another.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from digitgan import config, utils
from digitgan.store import file_digest

CHECKPOINTS = config.COMMITTED_DIRS[1]  # the committed checkpoints/, whatever DIGITGAN_CHECKPOINT_DIR says
MANIFEST = CHECKPOINTS / "MANIFEST.json"
TOLERANCE = {"accuracy": 0.0003, "classifier_score": 0.01, "frechet_distance": 0.1, "rarest_share": 0.0005,
             "commonest_share": 0.0005}  # a share: 0.0005 is five of the 10,000 generated digits
MATCHED_WHAT = "CNN given the semi-supervised GAN's updates"  # the label study's compute-matched CNN, in rows


@dataclass
class Row:
    what: str
    recorded: float
    recomputed: float | None
    tolerance: float
    note: str = ""

    @property
    def difference(self) -> float | None:
        return None if self.recomputed is None else self.recomputed - self.recorded

    @property
    def ok(self) -> bool:
        return self.recomputed is not None and abs(self.difference) <= self.tolerance and not self.note


def sha256(path: Path) -> str:
    """The file's full SHA-256 (:func:`digitgan.store.file_digest`)."""
    return file_digest(path, None)


def read_manifest(path: Path = MANIFEST) -> dict:
    return utils.read_json_object(Path(path), "the weights manifest", "Restore it with `git checkout -- checkpoints/`.")


def recorded(results: dict, where: str):
    """The value at a dotted path of results.json; ``label_efficiency.runs[ssgan,100,42]`` picks a run by method,
    label count and seed, ``label_efficiency.cnn_matched.runs[100,42]`` by label count and seed,
    ``protocols.runs[protocol=modern,model=cnn]`` the entry with these values."""
    where, _, reduce = where.partition("|")  # "dcgan.class_fractions|min": the smallest of a list
    value = results
    for part in where.split("."):
        if part.endswith("]"):
            name, selector = part[:-1].split("[")
            if "=" in selector:  # [protocol=modern,model=cnn]: the entry with these values
                wanted = dict(pair.split("=") for pair in selector.split(","))
                value = next(r for r in value[name] if all(str(r.get(k)) == v for k, v in wanted.items()))
                continue
            *method, n_labels, seed = selector.split(",")
            value = next(r for r in value[name] if (r["n_labels"], r["seed"]) == (int(n_labels), int(seed))
                         and (not method or [r["method"]] == method))  # fmt: skip
        else:
            value = value[part]
    return {"min": min, "max": max}[reduce](value) if reduce else value


def check_digests(entry: dict, root: Path) -> list[str]:
    """One line per file whose SHA-256 differs from the manifest's (or that is missing)."""
    problems = []
    for f in entry["files"]:
        path = root / f["path"]
        if not path.is_file():
            problems.append(f"{f['path']} is missing")
        elif sha256(path) != f["sha256"]:
            problems.append(f"{f['path']} is not the file the manifest names (SHA-256 differs)")
    return problems


class Recompute:
    """The numbers of each kind of model, recomputed from its files (data loaded once)."""

    def __init__(self, root: Path):
        self.root = root
        self._data = {}

    def path(self, entry: dict, role: str) -> Path:
        return self.root / next(f["path"] for f in entry["files"] if f["role"] == role)

    def study_data(self) -> dict:
        if "study" not in self._data:
            from digitgan.data import load_study_data

            self._data["study"] = load_study_data()
        return self._data["study"]

    def _accuracy(self, model, x, y) -> dict:
        from digitgan import training

        return {"accuracy": training.accuracy(model, x, y)}

    def _classifier(self, entry: dict, model: str):
        """The CNN (with its dropout, if any) or a trial's classifier, holding the entry's committed weights."""
        from digitgan import models, transfer

        p = entry["parameters"]
        if model == "cnn":
            built = models.with_dropout(models.build_cnn(), p.get("dropout", 0))
        else:
            built = transfer.discriminator_to_classifier(models.build_discriminator(), head=p["head"], freeze=False)
        return utils.load_weights(built, self.path(entry, "weights"), "Restore it with `git checkout -- checkpoints/`.")

    def cnn(self, entry: dict) -> dict:
        d = self.study_data()
        return self._accuracy(self._classifier(entry, "cnn"), d["x_test"], d["y_test"])

    def trial(self, entry: dict) -> dict:
        d = self.study_data()
        return self._accuracy(self._classifier(entry, "trial"), d["x_test"], d["y_test"])

    def small(self, entry: dict) -> dict:
        """A classifier of 06's 1,000-image comparison on that split's test images."""
        from digitgan import compare

        p = entry["parameters"]
        s = compare.small_split(self.study_data(), p["n_train"], p["n_test"])
        return self._accuracy(self._classifier(entry, p["model"]), s["x_test"], s["y_test"])

    def pca_knn(self, entry: dict) -> dict:
        from digitgan import compare
        from digitgan.data import load_study_data

        p = entry["parameters"]
        if p["n_train"] == config.SUBSET_SIZE:
            d = self.study_data()
            x, y, xt, yt = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
        elif p["n_train"] == config.N_TRAIN_FULL:
            d = load_study_data(config.N_TRAIN_FULL)
            x, y, xt, yt = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
        else:
            s = compare.small_split(self.study_data(), p["n_train"], p["n_test"])
            x, y, xt, yt = s["x_train"], s["y_train"], s["x_test"], s["y_test"]
        return {"accuracy": compare.fit_predict_timed(p["n_components"], p["k"], x, y, xt, yt)["accuracy"]}

    def _judge(self, entry: dict):
        from digitgan import models

        judge = models.build_judge()
        return utils.load_weights(judge, self.path(entry, "judge"), "Restore it with `git checkout -- checkpoints/`.")

    def dcgan(self, entry: dict) -> dict:
        from digitgan import models, quality

        generator = models.build_generator()
        utils.load_weights(generator, self.path(entry, "generator"), "Restore it with `git checkout -- checkpoints/`.")
        images = quality.generate(generator, entry["parameters"]["n_samples"], seed=entry["parameters"]["sample_seed"])
        scores = quality.judge_scores(self._judge(entry), images, reference=self.study_data()["x_test"])
        shares = scores["class_fractions"]
        return {**scores, "rarest_share": min(shares), "commonest_share": max(shares)}

    def conditional(self, entry: dict) -> dict:
        from digitgan import quality
        from digitgan.extensions import conditional

        generator = conditional.build_conditional_generator()
        utils.load_weights(generator, self.path(entry, "generator"), "Restore it with `git checkout -- checkpoints/`.")
        p = entry["parameters"]
        images, _ = conditional.generate_labelled(generator, p["n_generated"], seed=p["sample_seed"])
        return quality.judge_scores(self._judge(entry), images[: p["n_samples"]], reference=self.study_data()["x_test"])

    def kept(self, entry: dict) -> dict:
        """A CNN of 10's or 11's run stores (``digitgan.extensions.kept``), augmentation wrapper included."""
        from digitgan.extensions import protocols

        p = entry["parameters"]
        model, _ = protocols.build_model(p.get("model", "cnn"), p["augment"], p["seed"], strength=p["strength"],
                                         dropout=p["dropout"])
        utils.load_weights(model, self.path(entry, "weights"), "Restore it with `git checkout -- checkpoints/`.")
        d = self.study_data()
        return self._accuracy(model, d["x_test"], d["y_test"])

    def ssgan(self, entry: dict) -> dict:
        from digitgan.data import load_label_efficiency_data
        from digitgan.extensions import ssgan

        p = entry["parameters"]
        model = ssgan.build_ssgan_discriminator()
        utils.load_weights(model, self.path(entry, "weights"), "Restore it with `git checkout -- checkpoints/`.")
        d = load_label_efficiency_data(p["n_labels"], p["seed"], n_val=p["n_val"])
        return self._accuracy(model, d["x_test"], d["y_test"])


def verify(names=None, root: Path = config.PROJ_ROOT, manifest: Path | None = None, results: Path | None = None):
    """``(rows, problems)``: one row per recorded number of each manifest entry (``names``: only those), and every
    digest problem, naming the file. Numbers are recomputed even where a digest differs."""
    root = Path(root)
    spec = read_manifest(Path(manifest) if manifest else root / MANIFEST.relative_to(config.PROJ_ROOT))
    recorded_results = utils.load_results(results or root / config.COMMITTED_RESULTS_PATH.relative_to(config.PROJ_ROOT))
    unknown = set(names or ()) - {e["name"] for e in spec["models"]}
    if unknown:
        raise ValueError(
            f"no model named {sorted(unknown)} in the manifest; its names: {[e['name'] for e in spec['models']]}"
        )
    compute = Recompute(root)
    rows, problems = [], []
    for entry in spec["models"]:
        if names and entry["name"] not in names:
            continue
        bad = check_digests(entry, root)
        problems += [f"{entry['what']}: {p}" for p in bad]
        values = getattr(compute, entry["kind"])(entry)
        for measure, where in entry["recorded"].items():
            tolerance = TOLERANCE[measure]
            rows.append(
                Row(
                    f"{entry['what']}" + ("" if measure == "accuracy" else f", {measure.replace('_', ' ')}"),
                    float(recorded(recorded_results, where)),
                    float(values[measure]),
                    tolerance,
                    "file changed" if bad else "",
                )
            )
    return rows, problems


def retrained_rows(results: dict) -> list[Row]:
    """The CNN of 01 and trials 1-3 of 03-05 trained again now with the study's seed and recipe
    (:func:`digitgan.extensions.study_seeds.run`, into a temporary store): their train accuracy (the last epoch's
    running mean, with dropout) and test accuracy against the record. The same on the CPU model that made the
    record; on another, within the seeds' spread."""
    from digitgan.data import load_study_data
    from digitgan.extensions import study_seeds
    from digitgan.store import Store

    data, rows = load_study_data(config.SUBSET_SIZE, config.SEED), []
    with tempfile.TemporaryDirectory() as folder:
        for name in study_seeds.MODELS:
            again = study_seeds.run(name, config.SEED, Store(Path(folder) / "runs.json"), data)
            for measure in ("train_accuracy", "test_accuracy"):
                rows.append(Row(f"{config.name(name)}, retrained now, {measure.replace('_', ' ')}",
                                results[name][measure], again[measure], TOLERANCE["accuracy"]))  # fmt: skip
    return rows


def mean_rows(rows: list[Row]) -> list[Row]:
    """A row for the mean of each group of rows that differ only in their seed (``<what>, seed <S>``): the means the
    headlines report."""
    groups = {}
    for r in rows:
        what, seed, _ = r.what.rpartition(", seed ")
        if seed:
            groups.setdefault(what, []).append(r)
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return [Row(f"{what}, mean of {len(part)} seeds", mean([r.recorded for r in part]),
                mean([r.recomputed for r in part]), TOLERANCE["accuracy"])
            for what, part in groups.items() if len(part) > 1]  # fmt: skip


def table(rows: list[Row]) -> str:
    width = max(len(r.what) for r in rows)
    lines = [f"{'what':{width}s}  {'recorded':>9s}  {'recomputed':>10s}  {'difference':>10s}  verdict"]
    for r in rows:
        verdict = "ok" if r.ok else ("FAIL: " + (r.note or f"off by more than {r.tolerance:g}"))
        shown = "-" if r.recomputed is None else f"{r.recomputed:10.4f}"
        diff = "-" if r.difference is None else f"{r.difference:+10.4f}"
        lines.append(f"{r.what:{width}s}  {r.recorded:9.4f}  {shown:>10s}  {diff:>10s}  {verdict}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these manifest entries (default: all)")
    parser.add_argument("--write-manifest", action="store_true", help="write checkpoints/MANIFEST.json from the files")
    parser.add_argument("--retrain", action="store_true", help="also retrain 01 and 03-05's models (about 8 min) and "
                        "compare their train and test accuracy")  # fmt: skip
    args = parser.parse_args(argv)
    if args.write_manifest:
        utils.atomic_write_text(MANIFEST, json.dumps(build_manifest(), indent=1) + "\n")
        print(f"wrote {config.shown(MANIFEST)}")
        return 0
    print(utils.versions(), flush=True)
    print('"recorded": figures/results.json; "recomputed": the committed weights in checkpoints/, evaluated now on '
          "the test images. Train accuracies (each last epoch's running mean, with dropout) are not recomputed; they "
          "repeat only by retraining (make reproduce).", flush=True)
    rows, problems = verify(args.names or None)
    rows += mean_rows(rows)
    if args.retrain:
        recorded_on = utils.load_results(config.COMMITTED_RESULTS_PATH)["cnn"].get("machine", {}).get("cpu")
        print(f"Retraining 01 and 03-05's models here ({utils.machine()['cpu']}; the record was made on "
              f"{recorded_on}): train accuracies repeat only by retraining.", flush=True)  # fmt: skip
        rows += retrained_rows(utils.load_results(config.COMMITTED_RESULTS_PATH))
    print(table(rows))
    for p in problems:
        print(f"digest: {p}", file=sys.stderr)
    failed = [r for r in rows if not r.ok]
    checked = [e for e in read_manifest()["models"] if not args.names or e["name"] in args.names]
    files = {f["path"] for e in checked for f in e["files"]}
    print(
        f"{len(rows) - len(failed)} of {len(rows)} numbers match; "
        + (f"{len(problems)} files differ from checkpoints/MANIFEST.json" if problems else
           f"the SHA-256 of all {len(files)} weights files matched checkpoints/MANIFEST.json")
    )  # fmt: skip
    return 1 if failed or problems else 0


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
    """The manifest of the committed models (``python -m digitgan.tools.verify --write-manifest``): the study's CNN,
    trials, PCA + KNN, the DCGAN and conditional GAN with the judge, and the kept weights of 08 (the semi-supervised
    GAN, the CNN and trial 3, the compute-matched CNN), 10 and 11 found in their folders."""
    from digitgan import compare

    results = utils.load_results(config.COMMITTED_RESULTS_PATH)
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
            {"accuracy": f"label_efficiency.runs[ssgan,{n},{seed}].test_accuracy"},
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
                {"accuracy": f"label_efficiency.{arm}.runs[{n},{seed}].test_accuracy"},
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
            where += f"[{method},{n},{seed}]"
        name = {"cnn": "CNN", "trial3": config.name("trial3")}[method] + (f" after {stage} GAN epochs" if stage else "")
        entries.append(manifest_entry(
            f"{method}{f'_stage{stage}' if stage else ''}_{n}_{s['updates']}_seed{seed}",
            f"{name}, {n:,} labels, {s['updates']:,} updates, seed {seed}", "cnn" if method == "cnn" else "trial",
            {"weights": config.shown(run["weights"])}, "python -m digitgan.extensions.kept label-study",
            {**({"head": s["head"]} if method == "trial3" else {}), "n_labels": n, "seed": seed,
             "updates": s["updates"]}, {"accuracy": f"{where}.test_accuracy"},
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
    sys.exit(main())
