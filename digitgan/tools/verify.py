"""``make verify``: the test numbers of the README's tables recomputed from the committed weights, against results.json.

``checkpoints/MANIFEST.json`` (:mod:`digitgan.tools.manifest`) lists each model the README's tables rest on: its files
(path, SHA-256), the command that produced them, the run's parameters and where results.json records its number.
``verify`` checks each file's digest first (a changed file is named), then recomputes the number either way, so a file
replaced together with its digest still fails when its accuracy does not match. It prints one table (what, recorded,
recomputed, difference, verdict) and exits 1 when any number is off by more than its tolerance:

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
import functools
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from digitgan import compare, config, data, fileio, models, quality, training, transfer, utils
from digitgan.extensions import protocols, study_seeds
from digitgan.extensions.conditional import build_conditional_generator, generate_labelled
from digitgan.extensions.ssgan import build_ssgan_discriminator
from digitgan.store import Store, file_digest

CHECKPOINTS = config.COMMITTED_DIRS[1]  # the committed checkpoints/, whatever DIGITGAN_CHECKPOINT_DIR says
MANIFEST = CHECKPOINTS / "MANIFEST.json"
_RESTORE = "Restore it with `git checkout -- checkpoints/`."
TOLERANCE = {
    "accuracy": 0.0003,
    "classifier_score": 0.01,
    "frechet_distance": 0.1,
    "rarest_share": 0.0005,  # a share: 0.0005 is five of the 10,000 generated digits
    "commonest_share": 0.0005,
}


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
    return fileio.read_json_object(Path(path), "the weights manifest", _RESTORE)


def recorded(results: dict, where: str):
    """The value at a dotted path of results.json; ``label_efficiency.runs[method=ssgan,n_labels=100,seed=42]`` picks
    the entry of a list with these values, ``dcgan.class_fractions|min`` the smallest of a list."""
    where, _, reduce = where.partition("|")
    value = results
    for part in where.split("."):
        name, _, selector = part.removesuffix("]").partition("[")
        value = value[name]
        if selector:
            wanted = dict(pair.split("=") for pair in selector.split(","))
            value = next(r for r in value if all(str(r.get(k)) == v for k, v in wanted.items()))
    return {"min": min, "max": max}[reduce](value) if reduce else value


class _Recompute:
    """The numbers of each kind of model (a manifest entry's ``kind``), recomputed from its committed files."""

    def __init__(self, root: Path):
        self.root = root

    @functools.cached_property
    def study_data(self) -> dict:  # loaded once
        return data.load_study_data()

    def load(self, model, entry: dict, role: str = "weights"):
        """``model`` holding the entry's committed file of this role."""
        path = self.root / next(f["path"] for f in entry["files"] if f["role"] == role)
        return fileio.load_weights(model, path, _RESTORE)

    def accuracy(self, model, d: dict | None = None) -> dict:
        """``model``'s accuracy on the test images of ``d`` (default: the study's, the 10,000 test images)."""
        d = d or self.study_data
        return {"accuracy": training.accuracy(model, d["x_test"], d["y_test"])}

    def classifier(self, entry: dict, model: str):
        """The CNN (with its dropout, if any) or a trial's classifier, holding the entry's committed weights."""
        p = entry["parameters"]
        if model == "cnn":
            return self.load(models.with_dropout(models.build_cnn(), p.get("dropout", 0)), entry)
        discriminator = models.build_discriminator()
        return self.load(transfer.discriminator_to_classifier(discriminator, head=p["head"], freeze=False), entry)

    def cnn(self, entry: dict) -> dict:
        """The CNN or (kind ``trial``) a trial's classifier on the test images."""
        return self.accuracy(self.classifier(entry, entry["kind"]))

    trial = cnn

    def small(self, entry: dict) -> dict:
        """A classifier of 06's 1,000-image comparison on that split's test images."""
        p = entry["parameters"]
        split = compare.small_split(self.study_data, p["n_train"], p["n_test"])
        return self.accuracy(self.classifier(entry, p["model"]), split)

    def pca_knn(self, entry: dict) -> dict:
        p = entry["parameters"]
        if p["n_train"] == config.SUBSET_SIZE:
            d = self.study_data
        elif p["n_train"] == config.N_TRAIN_FULL:
            d = data.load_study_data(config.N_TRAIN_FULL)
        else:
            d = compare.small_split(self.study_data, p["n_train"], p["n_test"])
        x, y, xt, yt = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
        return {"accuracy": compare.fit_predict_timed(p["n_components"], p["k"], x, y, xt, yt)["accuracy"]}

    def judge(self, entry: dict):
        return self.load(models.build_judge(), entry, "judge")

    def dcgan(self, entry: dict) -> dict:
        p = entry["parameters"]
        generator = self.load(models.build_generator(), entry, "generator")
        images = quality.generate(generator, p["n_samples"], seed=p["sample_seed"])
        scores = quality.judge_scores(self.judge(entry), images, reference=self.study_data["x_test"])
        shares = scores["class_fractions"]
        return {**scores, "rarest_share": min(shares), "commonest_share": max(shares)}

    def judge_real(self, entry: dict) -> dict:
        """As 02 scores real digits: the test images' classifier score, and real training images' distance to them."""
        judge, test, p = self.judge(entry), self.study_data["x_test"], entry["parameters"]
        train = data.load_study_data(config.N_TRAIN_FULL, p["subset_seed"])["x_train"][: p["n_samples"]]
        return {
            "classifier_score": quality.judge_scores(judge, test)["classifier_score"],
            "frechet_distance": quality.judge_scores(judge, train, reference=test)["frechet_distance"],
        }

    def conditional(self, entry: dict) -> dict:
        p = entry["parameters"]
        generator = self.load(build_conditional_generator(), entry, "generator")
        images, _ = generate_labelled(generator, p["n_generated"], seed=p["sample_seed"])
        return quality.judge_scores(self.judge(entry), images[: p["n_samples"]], reference=self.study_data["x_test"])

    def kept(self, entry: dict) -> dict:
        """A CNN of 10's or 11's run stores (``digitgan.extensions.kept``), augmentation wrapper included."""
        p = entry["parameters"]
        model, _ = protocols.build_model(
            p.get("model", "cnn"), p["augment"], p["seed"], strength=p["strength"], dropout=p["dropout"]
        )
        return self.accuracy(self.load(model, entry))

    def ssgan(self, entry: dict) -> dict:
        """A semi-supervised GAN's kept discriminator on the test images (the label study's are the same)."""
        return self.accuracy(self.load(build_ssgan_discriminator(), entry))


def verify(names=None, root: Path = config.PROJ_ROOT) -> tuple[list[Row], list[str]]:
    """``(rows, problems)``: one row per recorded number of each manifest entry (``names``: only those), and every
    digest problem, naming the file. Numbers are recomputed even where a digest differs."""
    root = Path(root)
    spec = read_manifest(root / MANIFEST.relative_to(config.PROJ_ROOT))
    results = fileio.load_results(root / config.COMMITTED_RESULTS_PATH.relative_to(config.PROJ_ROOT))
    known = [e["name"] for e in spec["models"]]
    if unknown := set(names or ()) - set(known):
        raise ValueError(f"no model named {sorted(unknown)} in the manifest; its names: {known}")
    compute = _Recompute(root)
    rows, problems = [], []
    for entry in spec["models"]:
        if names and entry["name"] not in names:
            continue
        changed = []
        for f in entry["files"]:
            if not (root / f["path"]).is_file():
                changed.append(f"{f['path']} is missing")
            elif sha256(root / f["path"]) != f["sha256"]:
                changed.append(f"{f['path']} is not the file the manifest names (SHA-256 differs)")
        problems += [f"{entry['what']}: {p}" for p in changed]
        values = getattr(compute, entry["kind"])(entry)
        for measure, where in entry["recorded"].items():
            what = entry["what"] + ("" if measure == "accuracy" else f", {measure.replace('_', ' ')}")
            note = "file changed" if changed else ""
            rows.append(Row(what, float(recorded(results, where)), float(values[measure]), TOLERANCE[measure], note))
    return rows, problems


def retrained_rows(results: dict) -> list[Row]:
    """01's CNN and 03-05's trials trained again now with the study's seed and recipe (``study_seeds.run``, into a
    temporary store): their train accuracy (the last epoch's running mean) and test accuracy against the record."""
    images, rows = data.load_study_data(config.SUBSET_SIZE, config.SEED), []
    with tempfile.TemporaryDirectory() as folder:
        for name in study_seeds.MODELS:
            again = study_seeds.run(name, config.SEED, Store(Path(folder) / "runs.json"), images)
            for measure in ("train_accuracy", "test_accuracy"):
                what = f"{config.name(name)}, retrained now, {measure.replace('_', ' ')}"
                rows.append(Row(what, results[name][measure], again[measure], TOLERANCE["accuracy"]))
    return rows


def mean_rows(rows: list[Row]) -> list[Row]:
    """A row for the mean of each group of rows that differ only in their seed (``<what>, seed <S>``): the means the
    headlines report."""
    groups = {}
    for r in rows:
        what, seed, _ = r.what.rpartition(", seed ")
        if seed:
            groups.setdefault(what, []).append(r)
    means = []
    for what, part in groups.items():
        if len(part) > 1:
            recorded_mean = sum(r.recorded for r in part) / len(part)
            recomputed_mean = sum(r.recomputed for r in part) / len(part)
            means.append(
                Row(f"{what}, mean of {len(part)} seeds", recorded_mean, recomputed_mean, TOLERANCE["accuracy"])
            )
    return means


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
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="also retrain 01 and 03-05's models (about 8 min) and compare their train and test accuracy",
    )
    args = parser.parse_args(argv)
    print(utils.versions(), flush=True)
    print(
        '"recorded": figures/results.json; "recomputed": the committed weights in checkpoints/, evaluated now on the '
        "test images. Train accuracies (each last epoch's running mean, with dropout) repeat only by retraining: "
        "make verify-train.",
        flush=True,
    )
    rows, problems = verify(args.names or None)
    rows += mean_rows(rows)
    if args.retrain:
        results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
        print(
            f"Retraining 01 and 03-05's models here ({utils.machine()['cpu']}; the record was made on "
            f"{results['cnn'].get('machine', {}).get('cpu')}): train accuracies repeat only by retraining.",
            flush=True,
        )
        rows += retrained_rows(results)
    print(table(rows))
    for p in problems:
        print(f"digest: {p}", file=sys.stderr)
    failed = [r for r in rows if not r.ok]
    checked = [e for e in read_manifest()["models"] if not args.names or e["name"] in args.names]
    files = {f["path"] for e in checked for f in e["files"]}
    if problems:
        digests = f"{len(problems)} files differ from checkpoints/MANIFEST.json"
    else:
        digests = f"the SHA-256 of all {len(files)} weights files matched checkpoints/MANIFEST.json"
    print(f"{len(rows) - len(failed)} of {len(rows)} numbers match; {digests}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
