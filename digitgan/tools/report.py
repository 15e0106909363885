"""The tables and findings in README.md and docs/, generated from the committed results: the README's here, docs/'s
in :mod:`digitgan.tools.pages` and :mod:`digitgan.tools.versions`.

    python -m digitgan.tools.report          # rewrite every generated block (see BLOCKS)

A document holds each generated block between ``<!-- name:start -->`` and ``<!-- name:end -->``; tests check that
each equals what this module generates from ``figures/results.json`` and the committed benchmarks, so the two
cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path

from digitgan import config, fileio, findings
from digitgan.extensions import constants, verdicts
from digitgan.extensions import findings as extension_findings
from digitgan.tools import pages, versions

README = config.PROJ_ROOT / "README.md"
DOCS = config.PROJ_ROOT / "docs"
COMMITTED_RESULTS = config.COMMITTED_RESULTS_PATH
_SIGNIFICANCE_HOLM = 0.05  # the family-wise error rate the Holm-adjusted p is read against
_cell = verdicts.cell


def results_table(results: dict) -> str:
    """Markdown rows: what was measured, the original's number, ours (the study's seed-42 run), and for the CNN and
    the trials the test accuracy over training seeds 42-44 against the original's (one-sample t-test)."""
    seeds = (results.get("comparison") or {}).get("seeds") or {}

    def accuracies(key: str, measure: str) -> tuple[str, ...]:
        ours = f"{results[key]['train_accuracy']:.4f} / {results[key]['test_accuracy']:.4f}"
        over_seeds = "—"
        if s := seeds.get(key):
            v = s["vs_original"]
            verdict = ("above" if v["difference"] > 0 else "below") if v["claimed"] else "not distinguishable"
            over_seeds = f"{s['mean']:.4f} ± {s['std']:.4f}, p = {v['p']:.2g} ({verdict})"
        return measure, config.original_pair(key), ours, over_seeds

    rows = []
    if "cnn" in results:
        rows.append(accuracies("cnn", "CNN, train / test accuracy (10k subset, 15 epochs)"))
    if "dcgan" in results:
        g = results["dcgan"]
        minutes = f"{g['seconds'] / 60:.1f} min ({g['seconds_per_epoch']:.1f} s/epoch)"
        score = f"{g['classifier_score']:.2f} ({g['real_test_classifier_score']:.2f})"
        distance = f"{g['frechet_distance']:.2f} ({g['real_train_frechet_distance']:.2f})"
        shares = f"{min(g['class_fractions']):.1%} / {max(g['class_fractions']):.1%}"
        rows += [
            (f"DCGAN, training time ({g['epochs']} epochs, 2 CPU cores)", "—", minutes),
            ("DCGAN, classifier score of 10k samples (real test digits)", "—", score),
            ("DCGAN, Fréchet distance to the test set (real training digits)", "—", distance),
            ("DCGAN, share of the rarest / commonest generated digit (10% if all equal)", "—", shares),
        ]
    for key, name in (
        ("trial1", "Trial 1 (frozen, Dense(10))"),
        ("trial2", "Trial 2 (5 frozen + 10 fine-tuned)"),
        ("trial3", "Trial 3 (Dense(128), 7 frozen + 8 fine-tuned)"),
    ):
        if key in results:
            rows.append(accuracies(key, f"{name}, train / test accuracy"))
    if "comparison" in results:
        small = results["comparison"]["small"]
        knn = small["pca_knn"]
        updates = config.CNN_EPOCHS * config.SMALL_N_TRAIN // config.BATCH_SIZE
        budget = f", {config.CNN_EPOCHS} epochs ({updates:,} updates)"
        for key, what, accuracy in (
            ("pca_knn", f"PCA ({knn['n_components']}) + KNN (k={knn['k']})", knn["accuracy"]),
            ("trial3", f"trial 3{budget}", small["trial3"]),
            ("cnn", f"CNN{budget}", small["cnn"]),
        ):
            original = f"{config.ORIGINAL_SMALL[key]:.2f}"
            rows.append((f"1k train / 1k test: {what}", original, f"{accuracy:.4f}", "one run; not tested"))
        for name, row in results["comparison"]["pca_knn"].items():
            original = config.ORIGINAL_PCA_KNN_ALL if name == "all 60k" else "—"
            ours = f"{row['accuracy']:.4f} ({row['fit_seconds'] + row['predict_seconds']:.1f} s)"
            rows.append((f"PCA + KNN, {name} → 10k test (fit + predict time)", original, ours))
    over_seeds = "ours, seeds 42-44: test mean ± SD, one-sample p against the original"
    header = ("measure", "original", "ours (seed 42)", over_seeds)
    return pages.table(header, [row + ("—",) * (4 - len(row)) for row in rows])


def headlines_table(results: dict) -> str:
    """Markdown rows: each extension's headline number, what it is compared with, the t-test of the two (named), its
    p and the Holm-adjusted p over the table's rows (the family of headline claims)."""
    from digitgan.utils import SHORT_TESTS, difference_from_summary, holm

    found = []  # (question, result, compared with, test record)
    study = results.get("label_efficiency", {})
    ssgan = study.get("summary", {}).get("ssgan", {})
    runs = [
        r["test_accuracy"]
        for r in sorted(study.get("runs", []), key=lambda r: r["seed"])
        if r["method"] == "ssgan" and r["n_labels"] == 100
    ]
    paper = constants.SSGAN_PAPER
    if len(runs) > 1:
        against = (
            f"Salimans et al., {paper['test_accuracy']:.4f} ± {paper['std']:.4f} ({paper['seeds']} seeds, "
            f"{paper['epochs']} epochs)"
        )
        test = difference_from_summary(runs, paper["test_accuracy"], paper["std"], paper["seeds"])
        found.append(("Semi-supervised GAN, 100 labels (08)", _cell(ssgan["100"]), against, test))
    matched = study.get("cnn_matched")
    for n, d in (matched or {}).get("ssgan_minus_matched", {}).items():
        cnn = matched["summary"][n]
        against = f"a CNN given the same {cnn['n_updates']:,} updates, {_cell(cnn)}"
        found.append((f"Semi-supervised GAN, {int(n):,} labels (08)", _cell(ssgan[n]), against, d))
    budgets = study.get("transfer_vs_scratch") or {}
    for budget, per in budgets.items():
        for n, d in per.items():
            if budget != "15 epochs" and d["n_updates"] == (budgets.get("15 epochs", {}).get(n) or {}).get("n_updates"):
                continue  # the same runs as the 15-epoch row
            cells = (study.get("epoch_budget") or {}).get("summary", {}) if budget == "15 epochs" else study["summary"]
            shown = "" if budget.endswith("updates") else f" ({d['n_updates']:,} updates)"
            result, against = _cell(cells["trial3"][n]), "the CNN, same images and budget, " + _cell(cells["cnn"][n])
            found.append((f"Trial 3, {int(n):,} labels, {budget}{shown} (08)", result, against, d))
    versus = []  # (question, Versus record, what it is compared with)
    future = results.get("future_work", {})
    if "longer_gan" in future:
        for n, i in verdicts.longer_gan_items(future["longer_gan"])["labels"].items():
            question = f"Trial 3 after {i['best']} GAN epochs (best on validation), {n:,} labels (09)"
            versus.append((question, i["versus"], "the CNN, same images and budget"))
    if "protocols" in future:
        if v := verdicts.protocols_items(future["protocols"])["trial3_vs_cnn"]:
            versus.append(("Trial 3, modern recipe, 10,000 images (10)", v, "the CNN, same recipe"))
    if "generated_digits" in future:
        for v in verdicts.generated_items(future["generated_digits"])["below_real"][:1]:
            question = f"A CNN trained only on {v.what.removeprefix('only ')} (11)"
            versus.append((question, v, "the same CNN on the real 10,000"))
    found += [(question, v.shown[0], f"{against}, {v.shown[1]}", v.test) for question, v, against in versus]
    rows = []
    for (question, result, against, d), p_holm in zip(found, holm([d["p"] for *_, d in found]), strict=True):
        low, high = d["ci95"]
        verdict = "" if p_holm < _SIGNIFICANCE_HOLM else ": not distinguishable after Holm"
        difference = f"{d['difference']:+.4f} ({low:+.4f} to {high:+.4f})"
        test = SHORT_TESTS.get(d["test"], d["test"])
        rows.append((question, result, against, difference, test, f"{d['p']:.2g}", f"{p_holm:.2g}{verdict}"))
    header = ("question (notebook)", "result", "compared with", "difference (95% CI)", "test", "p")
    # every cell has 3 seeds, which the README says once, above the table
    return pages.table((*header, f"Holm p ({len(found)} rows)"), rows).replace(" (n = 3)", "")


# What each notebook asks, in the README's map; what it found is the first line of its own "What we found".
QUESTIONS = {
    "01_cnn_baseline": "How well does the baseline CNN learn from 10,000 images in 15 epochs?",
    "02_dcgan": "Does the DCGAN learn to draw digits, and how good are they by the judge?",
    "03_trial1_frozen": "Trial 1: the discriminator frozen, a new Dense(10) head.",
    "04_trial2_finetune": "Trial 2: 5 epochs frozen, then 10 with every layer trained.",
    "05_trial3_dense128": "Trial 3: a Dense(128) head, 7 epochs frozen, then 8 fine-tuned.",
    "06_comparison": "The four models side by side, and PCA + KNN at 1k, 10k and 60k images.",
    "07_semi_supervised_gan": "A semi-supervised GAN (Salimans et al., 2016) with 100 labels.",
    "08_label_efficiency": "With 100, 1,000 and 10,000 labels, which method wins?",
    "09_longer_gan": "Does longer GAN training bring the discriminator to the CNN? Do the losses settle?",
    "10_data_and_optimizers": "What do more images, other optimisers and a modern recipe do?",
    "11_generated_digits": "Do labelled generated digits help, and how real are they to a classifier?",
}


def record_finding_lines(notebook: str, results: dict) -> list[str]:
    """The lines of a notebook's "What we found" written from the study's record (``figures/results.json``), never
    from the outputs a notebook file holds (a notebook saved after a scratch run holds that run's)."""
    future = results.get("future_work", {})
    trial = {trial_notebook: key for key, (trial_notebook, _) in config.TRIALS.items()}.get(notebook)
    write = {
        "01_cnn_baseline": lambda: findings.cnn(results["cnn"]),
        "02_dcgan": lambda: findings.dcgan(results["dcgan"]),
        "06_comparison": lambda: findings.comparison(results["comparison"]),
        "07_semi_supervised_gan": lambda: extension_findings.ssgan(results["ssgan"]),
        "08_label_efficiency": lambda: extension_findings.label_efficiency(results["label_efficiency"]),
        "09_longer_gan": lambda: extension_findings.longer_gan(future["longer_gan"]),
        "10_data_and_optimizers": lambda: extension_findings.protocols(future["protocols"]),
        "11_generated_digits": lambda: extension_findings.generated_digits(future["generated_digits"]),
    }
    text = findings.trial(trial, results[trial], results) if trial else write[notebook]()
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def _notebooks_table(results: dict) -> str:
    """The README's map of the notebooks: what each asks, and the first line of what it found."""
    rows = []
    for name, question in QUESTIONS.items():
        first = record_finding_lines(name, results)[0]
        rows.append((f"[`{name}`](notebooks/{name}.ipynb)", question, first.replace("|", "\\|")))
    return pages.table(("notebook", "asks", "found"), rows)


# Every generated block: (document, marker name, what writes it from the committed results). Tests hold each
# committed block equal to what its function gives now.
BLOCKS = (
    (README, "results", results_table),
    (README, "headlines", headlines_table),
    (README, "notebooks", _notebooks_table),
    (DOCS / "extensions.md", "label-study", pages.label_study_block),
    (DOCS / "future-work.md", "future-work", pages.future_work_findings),
    (DOCS / "versions.md", "versions", versions.block),
    (DOCS / "speed.md", "speed", lambda results: pages.speed_table()),
    (DOCS / "speed.md", "precision", lambda results: pages.precision_table()),
)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def update_documents() -> list[Path]:
    """Rewrite every generated block from the committed results; returns the documents that changed."""
    results = fileio.load_results(COMMITTED_RESULTS)
    texts = {}
    for document, name, generate in BLOCKS:
        start, end = _markers(name)
        text = texts.get(document) or Path(document).read_text()
        if start not in text:
            raise ValueError(f"{config.shown(document)} has no {start} marker")
        block = f"{start}\n{generate(results)}\n{end}"
        pattern = re.escape(start) + r"\n(?:.*?\n)?" + re.escape(end)
        texts[document] = re.sub(pattern, lambda _, b=block: b, text, flags=re.S)
    changed = [document for document, text in texts.items() if Path(document).read_text() != text]
    for document in changed:
        fileio.atomic_write_text(Path(document), texts[document])
    return changed


if __name__ == "__main__":
    changed = update_documents()
    for path in changed:
        print(f"updated {config.shown(path)}")
    print(f"{len(changed)} of {len({document for document, _, _ in BLOCKS})} documents changed")
