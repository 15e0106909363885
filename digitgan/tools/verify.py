"""``make verify``: each model of ``checkpoints/MANIFEST.json`` scored again from its committed files and digests."""

import argparse
import functools
import sys
from pathlib import Path
from typing import NamedTuple

from digitgan import compare, config, data, fileio, models, quality, training, transfer, utils
from digitgan.extensions import protocols, study_seeds
from digitgan.extensions.conditional import build_conditional_generator, generate_labelled
from digitgan.extensions.ssgan import build_ssgan_discriminator
from digitgan.store import file_digest

MANIFEST = config.COMMITTED_DIRS[1] / "MANIFEST.json"  # the committed one, whatever DIGITGAN_CHECKPOINT_DIR says
_RESTORE = "Restore it with `git checkout -- checkpoints/`."
# accuracy: 3 of the 10,000 test images; scores: well below the decimals the study reads; shares: 5 of 10,000 digits
TOLERANCE = dict(accuracy=3e-4, classifier_score=0.01, frechet_distance=0.1, rarest_share=5e-4, commonest_share=5e-4)
_HEADER = '"recorded": figures/results.json; "recomputed": the committed weights in checkpoints/, evaluated now on the '
_HEADER += "test images. Train accuracies (each last epoch's running mean, with dropout) repeat only by retraining: "
_HEADER += "make verify-train."
sha256 = functools.partial(file_digest, length=None)
_read_manifest = functools.partial(fileio.read_json_object, what="the weights manifest", fix=_RESTORE)


class _Row(NamedTuple):
    what: str
    recorded: float
    recomputed: float
    tolerance: float
    note: str = ""  # why it fails whatever the numbers (a changed file)
    difference = property(lambda r: r.recomputed - r.recorded)
    ok = property(lambda r: abs(r.difference) <= r.tolerance and not r.note)


def recorded(results: dict, where: str):
    """The value at a dotted path of results.json (``runs[method=ssgan,seed=42]``, ``class_fractions|min``)."""
    where, _, reduce = where.partition("|")
    value = results
    for part in where.split("."):
        name, _, selector = part.removesuffix("]").partition("[")
        value = value[name]
        if selector:
            wanted = dict(pair.split("=") for pair in selector.split(","))
            value = next(r for r in value if all(str(r.get(k)) == v for k, v in wanted.items()))
    return {"min": min, "max": max}[reduce](value) if reduce else value


def _recompute(entry: dict, root: Path, study: dict) -> dict:
    p, kind, files = entry["parameters"], entry["kind"], {f["role"]: root / f["path"] for f in entry["files"]}

    def load(model, role: str = "weights"):
        return fileio.load_weights(model, files[role], _RESTORE)

    if kind == "pca_knn":
        n, split = p["n_train"], (lambda: compare.small_split(study, p["n_train"], p["n_test"]))
        d = study if n == config.SUBSET_SIZE else data.load_study_data(n) if n == config.N_TRAIN_FULL else split()
        fit = compare.fit_predict_timed(p["n_components"], p["k"], d["x_train"], d["y_train"], d["x_test"], d["y_test"])
        return {"accuracy": fit["accuracy"]}
    if kind == "judge_real":  # as 02 scores real digits: the test images, and real training images against them
        judge, test = load(models.build_judge(), "judge"), study["x_test"]
        train = data.load_study_data(config.N_TRAIN_FULL, p["subset_seed"])["x_train"][: p["n_samples"]]
        return {**quality.judge_scores(judge, train, reference=test), **quality.judge_scores(judge, test)}
    if kind == "dcgan":
        images = quality.generate(load(models.build_generator(), "generator"), p["n_samples"], p["sample_seed"])
    if kind == "conditional":
        generator = load(build_conditional_generator(), "generator")
        images = generate_labelled(generator, p["n_generated"], seed=p["sample_seed"])[0][: p["n_samples"]]
    if kind in ("dcgan", "conditional"):
        scores = quality.judge_scores(load(models.build_judge(), "judge"), images, reference=study["x_test"])
        shares = scores["class_fractions"]
        return {**scores, "rarest_share": min(shares), "commonest_share": max(shares)}
    if kind == "small":  # one of 06's 1,000-image classifiers, on that split's test images
        kind, study = "cnn" if p["model"] == "cnn" else "trial", compare.small_split(study, p["n_train"], p["n_test"])
    build = {
        "cnn": lambda: models.with_dropout(models.build_cnn(), p.get("dropout", 0)),
        "trial": lambda: transfer.discriminator_to_classifier(models.build_discriminator(), p["head"], freeze=False),
        "kept": lambda: protocols.build_model(
            p["model"], p["augment"], p["seed"], strength=p["strength"], dropout=p["dropout"]
        )[0],
        "ssgan": build_ssgan_discriminator,
    }[kind]
    return {"accuracy": training.accuracy(load(build()), study["x_test"], study["y_test"])}


def verify(names=None, root: Path = config.PROJ_ROOT) -> tuple[list[_Row], list[str]]:
    """``(rows, problems)``: a row per recorded number of each manifest entry (or of ``names``), each file problem."""
    root = Path(root)
    spec = _read_manifest(root / MANIFEST.relative_to(config.PROJ_ROOT))
    results = fileio.load_results(root / config.COMMITTED_RESULTS_PATH.relative_to(config.PROJ_ROOT))
    if unknown := set(names or ()) - set(known := [e["name"] for e in spec["models"]]):
        raise ValueError(f"no model named {sorted(unknown)} in the manifest; its names: {known}")
    study, rows, problems = data.load_study_data(), [], []
    for entry in [e for e in spec["models"] if not names or e["name"] in names]:
        if missing := [f["path"] for f in entry["files"] if not (root / f["path"]).is_file()]:
            raise fileio.DataFileError(f"{entry['what']}: {', '.join(missing)} is missing. {_RESTORE}")
        changed = [f["path"] for f in entry["files"] if sha256(root / f["path"]) != f["sha256"]]
        problems += [f"{entry['what']}: {p} is not the file the manifest names (SHA-256 differs)" for p in changed]
        values = _recompute(entry, root, study)
        for measure, where in entry["recorded"].items():
            what = entry["what"] + ("" if measure == "accuracy" else f", {measure.replace('_', ' ')}")
            value, note = float(recorded(results, where)), "file changed" if changed else ""
            rows.append(_Row(what, value, float(values[measure]), TOLERANCE[measure], note))
    return rows, problems


def _retrained_rows(results: dict) -> list[_Row]:
    """01's CNN and 03-05's trials trained again (seed 42), their train and test accuracy."""
    images, rows = data.load_study_data(config.SUBSET_SIZE, config.SEED), []
    for name in study_seeds.MODELS:
        _, again = study_seeds.train(name, config.SEED, images)
        for m in ("train_accuracy", "test_accuracy"):
            what = f"{config.name(name)}, retrained now, {m.replace('_', ' ')}"
            rows.append(_Row(what, results[name][m], again[m], TOLERANCE["accuracy"]))
    return rows


def _mean_rows(rows: list[_Row]) -> list[_Row]:
    """A row for the mean of each group of rows that differ only in their seed (``<what>, seed <S>``)."""
    groups = {}
    for r in rows:
        if ", seed " in r.what:
            groups.setdefault(r.what.rpartition(", seed ")[0], []).append(r)
    mean = {w: [sum(getattr(r, a) for r in g) / len(g) for a in ("recorded", "recomputed")] for w, g in groups.items()}
    return [_Row(f"{w}, mean of {len(g)} seeds", *mean[w], TOLERANCE["accuracy"]) for w, g in groups.items() if g[1:]]


def table(rows: list[_Row]) -> str:
    width = max(len(r.what) for r in rows)
    lines = [f"{'what':{width}s}  {'recorded':>9s}  {'recomputed':>10s}  {'difference':>10s}  verdict"]
    for r in rows:
        verdict = "ok" if r.ok else ("FAIL: " + (r.note or f"off by more than {r.tolerance:g}"))
        lines.append(f"{r.what:{width}s}  {r.recorded:9.4f}  {r.recomputed:10.4f}  {r.difference:+10.4f}  {verdict}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--retrain", action="store_true", help="also retrain 01 and 03-05's models (about 8 min)")
    args = parser.parse_args(argv)
    print(utils.versions(), _HEADER, sep="\n", flush=True)
    rows, problems = verify()
    rows += _mean_rows(rows)
    if args.retrain:
        results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
        here, made_on = utils.machine()["cpu"], results["cnn"].get("machine", {}).get("cpu")
        print(f"Retraining 01 and 03-05's models here ({here}; the record was made on {made_on}).", flush=True)
        rows += _retrained_rows(results)
    print(table(rows))
    for p in problems:
        print(f"digest: {p}", file=sys.stderr)
    failed = [r for r in rows if not r.ok]
    files = len({f["path"] for e in _read_manifest(MANIFEST)["models"] for f in e["files"]})
    digests = f"{len(problems)} files differ from" if problems else f"the SHA-256 of all {files} weights files matched"
    print(f"{len(rows) - len(failed)} of {len(rows)} numbers match; {digests} checkpoints/MANIFEST.json")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
