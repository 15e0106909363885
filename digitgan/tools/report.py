"""``python -m digitgan.tools.report``: rewrite the generated blocks (:data:`BLOCKS`) of README.md and docs/."""

from pathlib import Path

from digitgan import config, fileio, findings
from digitgan.extensions import constants, verdicts
from digitgan.extensions import findings as extension_findings
from digitgan.extensions.verdicts import cell
from digitgan.tools import pages
from digitgan.utils import SHORT_TESTS, holm

README, DOCS = config.PROJ_ROOT / "README.md", config.PROJ_ROOT / "docs"
_ACCURACY = {  # the classifiers' rows (the DCGAN's after the CNN's)
    "cnn": "CNN, train / test accuracy (10k subset, 15 epochs)",
    "trial1": "Trial 1 (frozen, Dense(10)), train / test accuracy",
    "trial2": "Trial 2 (5 frozen + 10 fine-tuned), train / test accuracy",
    "trial3": "Trial 3 (Dense(128), 7 frozen + 8 fine-tuned), train / test accuracy",
}


def results_table(results: dict) -> str:
    """Each measure: the original's number, ours (seed 42), and over seeds 42-44 against the original's."""
    seeds = (results.get("comparison") or {}).get("seeds") or {}

    def accuracies(key: str) -> tuple[str, ...]:
        over_seeds, v = "—", (seeds.get(key) or {}).get("vs_original")
        if v:
            verdict = ("above" if v["difference"] > 0 else "below") if v["claimed"] else "not distinguishable"
            over_seeds = f"{seeds[key]['mean']:.4f} ± {seeds[key]['std']:.4f}, p = {v['p']:.2g} ({verdict})"
        ours = f"{results[key]['train_accuracy']:.4f} / {results[key]['test_accuracy']:.4f}"
        return _ACCURACY[key], config.original_pair(key), ours, over_seeds

    rows = [accuracies("cnn")] if "cnn" in results else []
    if g := results.get("dcgan"):
        minutes = f"{g['seconds'] / 60:.1f} min ({g['seconds_per_epoch']:.1f} s/epoch)"
        score = f"{g['classifier_score']:.2f} ({g['real_test_classifier_score']:.2f})"
        distance = f"{g['frechet_distance']:.2f} ({g['real_train_frechet_distance']:.2f})"
        shares = f"{min(g['class_fractions']):.1%} / {max(g['class_fractions']):.1%}"
        rows += [
            (f"DCGAN, training time ({g['epochs']} epochs, 2 CPU cores)", "—", minutes, "—"),
            ("DCGAN, classifier score of 10k samples (real test digits)", "—", score, "—"),
            ("DCGAN, Fréchet distance to the test set (real training digits)", "—", distance, "—"),
            ("DCGAN, share of the rarest / commonest generated digit (10% if all equal)", "—", shares, "—"),
        ]
    rows += [accuracies(key) for key in ("trial1", "trial2", "trial3") if key in results]
    if comparison := results.get("comparison"):
        small, knn = comparison["small"], comparison["small"]["pca_knn"]
        updates = config.CNN_EPOCHS * config.SMALL_N_TRAIN // config.BATCH_SIZE
        budget = f", {config.CNN_EPOCHS} epochs ({updates:,} updates)"
        for key, what, accuracy in (
            ("pca_knn", f"PCA ({knn['n_components']}) + KNN (k={knn['k']})", knn["accuracy"]),
            ("trial3", f"trial 3{budget}", small["trial3"]),
            ("cnn", f"CNN{budget}", small["cnn"]),
        ):
            original = f"{config.ORIGINAL_SMALL[key]:.2f}"
            rows.append((f"1k train / 1k test: {what}", original, f"{accuracy:.4f}", "one run; not tested"))
        for name, row in comparison["pca_knn"].items():
            original = config.ORIGINAL_PCA_KNN_ALL if name == "all 60k" else "—"
            ours = f"{row['accuracy']:.4f} ({row['fit_seconds'] + row['predict_seconds']:.1f} s)"
            rows.append((f"PCA + KNN, {name} → 10k test (fit + predict time)", original, ours, "—"))
    seeds = "ours, seeds 42-44: test mean ± SD, one-sample p against the original"
    return pages.table(("measure", "original", "ours (seed 42)", seeds), rows)


def headlines_table(results: dict) -> str:
    """Each extension's headline number, what it is compared with, the t-test, its p and the Holm-adjusted p."""
    found, study = [], results.get("label_efficiency", {})  # (question, result, compared with, test record)
    ssgan, p = study.get("summary", {}).get("ssgan", {}), constants.SSGAN_PAPER
    if study and (test := verdicts.label_efficiency_items(study)["paper"]):
        paper = f"{p['test_accuracy']:.4f} ± {p['std']:.4f} ({p['seeds']} seeds, {p['epochs']} epochs)"
        found.append(("Semi-supervised GAN, 100 labels (08)", cell(ssgan["100"]), f"Salimans et al., {paper}", test))
    matched = study.get("cnn_matched") or {}
    for n, d in matched.get("ssgan_minus_matched", {}).items():
        against = f"a CNN given the same {matched['summary'][n]['n_updates']:,} updates, {cell(matched['summary'][n])}"
        found.append((f"Semi-supervised GAN, {int(n):,} labels (08)", cell(ssgan[n]), against, d))
    budgets = study.get("transfer_vs_scratch") or {}
    for budget, per in budgets.items():
        for n, d in per.items():
            if budget != "15 epochs" and d["n_updates"] == (budgets.get("15 epochs", {}).get(n) or {}).get("n_updates"):
                continue  # the same runs as the 15-epoch row
            cells = (study.get("epoch_budget") or {}).get("summary", {}) if budget == "15 epochs" else study["summary"]
            shown = "" if budget.endswith("updates") else f" ({d['n_updates']:,} updates)"
            result, against = cell(cells["trial3"][n]), "the CNN, same images and budget, " + cell(cells["cnn"][n])
            found.append((f"Trial 3, {int(n):,} labels, {budget}{shown} (08)", result, against, d))
    future, versus = results.get("future_work", {}), []  # (question, Versus record, what it is compared with)
    if "longer_gan" in future:
        for n, i in verdicts.longer_gan_items(future["longer_gan"])["labels"].items():
            question = f"Trial 3 after {i['best']} GAN epochs (best on validation), {n:,} labels (09)"
            versus.append((question, i["versus"], "the CNN, same images and budget"))
    if "protocols" in future and (v := verdicts.protocols_items(future["protocols"])["trial3_vs_cnn"]):
        versus.append(("Trial 3, modern recipe, 10,000 images (10)", v, "the CNN, same recipe"))
    if "generated_digits" in future and (vs := verdicts.generated_items(future["generated_digits"])["below_real"]):
        versus.append((f"A CNN trained only on {vs[0].what[5:]} (11)", vs[0], "the same CNN on the real 10,000"))
    found += [(question, v.shown[0], f"{against}, {v.shown[1]}", v.test) for question, v, against in versus]
    rows = []
    for (question, result, against, d), p_holm in zip(found, holm([d["p"] for *_, d in found]), strict=True):
        verdict = "" if p_holm < 0.05 else ": not distinguishable after Holm"  # the family-wise error rate
        difference = f"{d['difference']:+.4f} ({d['ci95'][0]:+.4f} to {d['ci95'][1]:+.4f})"
        test = SHORT_TESTS.get(d["test"], d["test"])
        rows.append((question, result, against, difference, test, f"{d['p']:.2g}", f"{p_holm:.2g}{verdict}"))
    header = ("question (notebook)", "result", "compared with", "difference (95% CI)", "test", "p")
    # every cell has 3 seeds, which the README says once, above the table
    return pages.table((*header, f"Holm p ({len(found)} rows)"), rows).replace(" (n = 3)", "")


# Each notebook's record in results.json (or its "future_work") and what it asks: the README's map.
QUESTIONS = {
    "01_cnn_baseline": ("cnn", "How well does the baseline CNN learn from 10,000 images in 15 epochs?"),
    "02_dcgan": ("dcgan", "Does the DCGAN learn to draw digits, and how good are they by the judge?"),
    "03_trial1_frozen": ("trial1", "Trial 1: the discriminator frozen, a new Dense(10) head."),
    "04_trial2_finetune": ("trial2", "Trial 2: 5 epochs frozen, then 10 with every layer trained."),
    "05_trial3_dense128": ("trial3", "Trial 3: a Dense(128) head, 7 epochs frozen, then 8 fine-tuned."),
    "06_comparison": ("comparison", "The four models side by side, and PCA + KNN at 1k, 10k and 60k images."),
    "07_semi_supervised_gan": ("ssgan", "A semi-supervised GAN (Salimans et al., 2016) with 100 labels."),
    "08_label_efficiency": ("label_efficiency", "With 100, 1,000 and 10,000 labels, which method wins?"),
    "09_longer_gan": (
        "longer_gan",
        "Does longer GAN training bring the discriminator to the CNN? Do the losses settle?",
    ),
    "10_data_and_optimizers": ("protocols", "What do more images, other optimisers and a modern recipe do?"),
    "11_generated_digits": (
        "generated_digits",
        "Do labelled generated digits help, and how real are they to a classifier?",
    ),
}


def record_finding_lines(notebook: str, results: dict) -> list[str]:
    """A notebook's "What we found", line by line, from the study's record, never from a notebook file's outputs."""
    key, record = QUESTIONS[notebook][0], {**results, **results.get("future_work", {})}
    if key.startswith("trial"):
        text = findings.trial(key, record[key], results)
    elif key == "cnn":
        text = findings.cnn(record[key], results)
    else:
        text = (getattr(findings, key, None) or getattr(extension_findings, key))(record[key])
    return [line.strip() for line in text.splitlines() if line.strip()]


def _notebooks_table(results: dict) -> str:
    rows = [
        (f"[`{nb}`](notebooks/{nb}.ipynb)", asks, record_finding_lines(nb, results)[0].replace("|", "\\|"))
        for nb, (_, asks) in QUESTIONS.items()
    ]
    return pages.table(("notebook", "asks", "found"), rows)


# Every generated block: (document, marker name, what writes it from the committed results).
BLOCKS = (
    (README, "results", results_table),
    (README, "headlines", headlines_table),
    (README, "notebooks", _notebooks_table),
    (DOCS / "extensions.md", "label-study", pages.label_study_block),
    (DOCS / "future-work.md", "future-work", pages.future_work_findings),
    (DOCS / "versions.md", "versions", pages.versions_block),
    (DOCS / "speed.md", "speed", lambda results: pages.speed_table()),
    (DOCS / "speed.md", "precision", lambda results: pages.precision_table()),
)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _update_documents() -> list[Path]:
    """Rewrite every generated block from the committed results; the documents that changed (none written on error)."""
    results = fileio.load_results(config.COMMITTED_RESULTS_PATH)
    texts = {document: Path(document).read_text() for document, _, _ in BLOCKS}
    for document, name, generate in BLOCKS:
        start, end = _markers(name)
        before, found, rest = texts[document].partition(start + "\n")
        if not found or end not in rest:
            raise ValueError(f"{config.shown(document)} has no {start} ... {end} block: add both markers")
        texts[document] = f"{before}{start}\n{generate(results)}\n{end}{rest.partition(end)[2]}"
    changed = [document for document, text in texts.items() if Path(document).read_text() != text]
    for document in changed:
        fileio.atomic_write_text(Path(document), texts[document])
    return changed


if __name__ == "__main__":
    for path in (changed := _update_documents()):
        print(f"updated {config.shown(path)}")
    print(f"{len(changed)} of {len({document for document, _, _ in BLOCKS})} documents changed")
