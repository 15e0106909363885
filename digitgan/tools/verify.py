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
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from digitgan import config, fileio, utils
from digitgan.store import file_digest

CHECKPOINTS = config.COMMITTED_DIRS[1]  # the committed checkpoints/, whatever DIGITGAN_CHECKPOINT_DIR says
MANIFEST = CHECKPOINTS / "MANIFEST.json"
RESTORE = "Restore it with `git checkout -- checkpoints/`."
TOLERANCE = {"accuracy": 0.0003, "classifier_score": 0.01, "frechet_distance": 0.1, "rarest_share": 0.0005,
             "commonest_share": 0.0005}  # a share: 0.0005 is five of the 10,000 generated digits


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
    return fileio.read_json_object(Path(path), "the weights manifest", RESTORE)


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

    def load(self, model, entry: dict, role: str = "weights"):
        """``model`` holding the entry's committed file of this role."""
        return fileio.load_weights(model, self.path(entry, role), RESTORE)

    def study_data(self) -> dict:
        from digitgan.data import load_study_data

        if "study" not in self._data:
            self._data["study"] = load_study_data()
        return self._data["study"]

    def _accuracy(self, model, d: dict | None = None) -> dict:
        """``model``'s accuracy on the test images of ``d`` (default: the study's, the 10,000 test images)."""
        from digitgan import training

        d = d or self.study_data()
        return {"accuracy": training.accuracy(model, d["x_test"], d["y_test"])}

    def _classifier(self, entry: dict, model: str):
        """The CNN (with its dropout, if any) or a trial's classifier, holding the entry's committed weights."""
        from digitgan import models, transfer

        p = entry["parameters"]
        if model == "cnn":
            built = models.with_dropout(models.build_cnn(), p.get("dropout", 0))
        else:
            built = transfer.discriminator_to_classifier(models.build_discriminator(), head=p["head"], freeze=False)
        return self.load(built, entry)

    def cnn(self, entry: dict) -> dict:
        """The CNN or (kind ``trial``) a trial's classifier on the test images."""
        return self._accuracy(self._classifier(entry, entry["kind"]))

    trial = cnn

    def small(self, entry: dict) -> dict:
        """A classifier of 06's 1,000-image comparison on that split's test images."""
        from digitgan import compare

        p = entry["parameters"]
        s = compare.small_split(self.study_data(), p["n_train"], p["n_test"])
        return self._accuracy(self._classifier(entry, p["model"]), s)

    def pca_knn(self, entry: dict) -> dict:
        from digitgan import compare
        from digitgan.data import load_study_data

        p = entry["parameters"]
        if p["n_train"] in (config.SUBSET_SIZE, config.N_TRAIN_FULL):
            d = self.study_data() if p["n_train"] == config.SUBSET_SIZE else load_study_data(config.N_TRAIN_FULL)
        else:
            d = compare.small_split(self.study_data(), p["n_train"], p["n_test"])
        x, y, xt, yt = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
        return {"accuracy": compare.fit_predict_timed(p["n_components"], p["k"], x, y, xt, yt)["accuracy"]}

    def _judge(self, entry: dict):
        from digitgan import models

        return self.load(models.build_judge(), entry, "judge")

    def dcgan(self, entry: dict) -> dict:
        from digitgan import models, quality

        generator = self.load(models.build_generator(), entry, "generator")
        images = quality.generate(generator, entry["parameters"]["n_samples"], seed=entry["parameters"]["sample_seed"])
        scores = quality.judge_scores(self._judge(entry), images, reference=self.study_data()["x_test"])
        shares = scores["class_fractions"]
        return {**scores, "rarest_share": min(shares), "commonest_share": max(shares)}

    def judge_real(self, entry: dict) -> dict:
        """As 02 scores real digits: the test images' classifier score, and real training images' distance to them."""
        from digitgan import quality
        from digitgan.data import load_study_data

        judge, test, p = self._judge(entry), self.study_data()["x_test"], entry["parameters"]
        train = load_study_data(config.N_TRAIN_FULL, p["subset_seed"])["x_train"][: p["n_samples"]]
        return {"classifier_score": quality.judge_scores(judge, test)["classifier_score"],
                "frechet_distance": quality.judge_scores(judge, train, reference=test)["frechet_distance"]}

    def conditional(self, entry: dict) -> dict:
        from digitgan import quality
        from digitgan.extensions import conditional

        generator = self.load(conditional.build_conditional_generator(), entry, "generator")
        p = entry["parameters"]
        images, _ = conditional.generate_labelled(generator, p["n_generated"], seed=p["sample_seed"])
        return quality.judge_scores(self._judge(entry), images[: p["n_samples"]], reference=self.study_data()["x_test"])

    def kept(self, entry: dict) -> dict:
        """A CNN of 10's or 11's run stores (``digitgan.extensions.kept``), augmentation wrapper included."""
        from digitgan.extensions import protocols

        p = entry["parameters"]
        model, _ = protocols.build_model(p.get("model", "cnn"), p["augment"], p["seed"], strength=p["strength"],
                                         dropout=p["dropout"])
        return self._accuracy(self.load(model, entry))

    def ssgan(self, entry: dict) -> dict:
        """A semi-supervised GAN's kept discriminator on the test images (the label study's are the same)."""
        from digitgan.extensions import ssgan

        return self._accuracy(self.load(ssgan.build_ssgan_discriminator(), entry))


def verify(names=None, root: Path = config.PROJ_ROOT, manifest: Path | None = None, results: Path | None = None):
    """``(rows, problems)``: one row per recorded number of each manifest entry (``names``: only those), and every
    digest problem, naming the file. Numbers are recomputed even where a digest differs."""
    root = Path(root)
    spec = read_manifest(Path(manifest) if manifest else root / MANIFEST.relative_to(config.PROJ_ROOT))
    results_path = results or root / config.COMMITTED_RESULTS_PATH.relative_to(config.PROJ_ROOT)
    recorded_results = fileio.load_results(results_path)
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
            what = entry["what"] + ("" if measure == "accuracy" else f", {measure.replace('_', ' ')}")
            rows.append(Row(what, float(recorded(recorded_results, where)), float(values[measure]),
                            TOLERANCE[measure], "file changed" if bad else ""))  # fmt: skip
    return rows, problems


def retrained_rows(results: dict) -> list[Row]:
    """01's CNN and 03-05's trials trained again now with the study's seed and recipe (``study_seeds.run``, into a
    temporary store): their train accuracy (the last epoch's running mean) and test accuracy against the record."""
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
    parser.add_argument("--retrain", action="store_true", help="also retrain 01 and 03-05's models (about 8 min) and "
                        "compare their train and test accuracy")  # fmt: skip
    args = parser.parse_args(argv)
    print(utils.versions(), flush=True)
    print('"recorded": figures/results.json; "recomputed": the committed weights in checkpoints/, evaluated now on '
          "the test images. Train accuracies (each last epoch's running mean, with dropout) repeat only by retraining: "
          "make verify-train.", flush=True)
    rows, problems = verify(args.names or None)
    rows += mean_rows(rows)
    if args.retrain:
        recorded_on = fileio.load_results(config.COMMITTED_RESULTS_PATH)["cnn"].get("machine", {}).get("cpu")
        print(f"Retraining 01 and 03-05's models here ({utils.machine()['cpu']}; the record was made on "
              f"{recorded_on}): train accuracies repeat only by retraining.", flush=True)  # fmt: skip
        rows += retrained_rows(fileio.load_results(config.COMMITTED_RESULTS_PATH))
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


if __name__ == "__main__":
    sys.exit(main())
