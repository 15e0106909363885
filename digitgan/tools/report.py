"""The tables and findings in README.md and docs/, generated from the committed results.

    python -m digitgan.tools.report          # rewrite every generated block (see BLOCKS)

A document holds each generated block between ``<!-- name:start -->`` and ``<!-- name:end -->``; tests check that
each equals what this module generates from ``figures/results.json`` and the committed benchmarks, so the two
cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path

from digitgan import config, fileio
from digitgan.extensions import findings as extension_findings
from digitgan.tools import versions

PRECISION_STUDY_PATH = config.PROJ_ROOT / "benchmarks" / "results" / "dcgan_precision.json"

LABEL_EFFICIENCY_NAMES = {
    **config.LABEL_EFFICIENCY_NAMES,
    "cnn_matched": "CNN, modern recipe, the semi-supervised GAN's updates",
    "cnn_matched_early": "CNN, modern recipe, the semi-supervised GAN's updates, stopped early",
}
README = config.PROJ_ROOT / "README.md"
COMMITTED_RESULTS = config.COMMITTED_RESULTS_PATH
BENCHMARK_RESULTS = config.PROJ_ROOT / "benchmarks" / "results"
BENCHMARKS = {"dcgan_step": "DCGAN", "ssgan_step": "SSGAN"}


def _acc(value) -> str:
    return f"{value:.4f}"


def _pair(entry: dict) -> str:
    return f"{_acc(entry['train_accuracy'])} / {_acc(entry['test_accuracy'])}"


def results_table(results: dict) -> str:
    """Markdown rows: what was measured, the original's number, ours (the study's seed-42 run), and for the CNN and
    the trials the test accuracy over training seeds 42-44 against the original's (one-sample t-test)."""
    rows = [("measure", "original", "ours (seed 42)", "ours, seeds 42-44: test mean ± SD, one-sample p against the "
             "original"), ("---",) * 4]  # fmt: skip
    seeds = (results.get("comparison") or {}).get("seeds") or {}

    def over_seeds(key: str) -> str:
        s = seeds.get(key)
        if not s:
            return "—"
        v = s["vs_original"]
        verdict = ("above" if v["difference"] > 0 else "below") if v["claimed"] else "not distinguishable"
        return f"{s['mean']:.4f} ± {s['std']:.4f}, p = {v['p']:.2g} ({verdict})"

    if "cnn" in results:
        rows.append(("CNN, train / test accuracy (10k subset, 15 epochs)", config.original_pair("cnn"),
                     _pair(results["cnn"]), over_seeds("cnn")))  # fmt: skip
    if "dcgan" in results:
        g = results["dcgan"]
        rows += [
            (
                f"DCGAN, training time ({g['epochs']} epochs, 2 CPU cores)",
                "—",
                f"{g['seconds'] / 60:.1f} min ({g['seconds_per_epoch']:.1f} s/epoch)",
            ),
            (
                "DCGAN, classifier score of 10k samples (real test digits)",
                "—",
                f"{g['classifier_score']:.2f} ({g['real_test_classifier_score']:.2f})",
            ),
            (
                "DCGAN, Fréchet distance to the test set (real training digits)",
                "—",
                f"{g['frechet_distance']:.2f} ({g['real_train_frechet_distance']:.2f})",
            ),
            (
                "DCGAN, share of the rarest / commonest generated digit (10% if all equal)",
                "—",
                f"{min(g['class_fractions']):.1%} / {max(g['class_fractions']):.1%}",
            ),
        ]
    for key, name in (
        ("trial1", "Trial 1 (frozen, Dense(10))"),
        ("trial2", "Trial 2 (5 frozen + 10 fine-tuned)"),
        ("trial3", "Trial 3 (Dense(128), 7 frozen + 8 fine-tuned)"),
    ):
        if key in results:
            rows.append((f"{name}, train / test accuracy", config.original_pair(key), _pair(results[key]),
                         over_seeds(key)))  # fmt: skip
    if "comparison" in results:
        small = results["comparison"]["small"]
        knn = small["pca_knn"]
        rows += [
            (
                f"1k train / 1k test: PCA ({knn['n_components']}) + KNN (k={knn['k']})",
                f"{config.ORIGINAL_SMALL['pca_knn']:.2f}",
                _acc(knn["accuracy"]),
            ),
            (
                "1k train / 1k test: transferred discriminator (trial 3)",
                f"{config.ORIGINAL_SMALL['trial3']:.2f}",
                _acc(small["trial3"]),
            ),
            ("1k train / 1k test: CNN", f"{config.ORIGINAL_SMALL['cnn']:.2f}", _acc(small["cnn"])),
        ]
        for name, row in results["comparison"]["pca_knn"].items():
            rows.append(
                (
                    f"PCA + KNN, {name} → 10k test (fit + predict time)",
                    config.ORIGINAL_PCA_KNN_ALL if name == "all 60k" else "—",
                    f"{_acc(row['accuracy'])} ({row['fit_seconds'] + row['predict_seconds']:.1f} s)",
                )
            )
    return "\n".join("| " + " | ".join([*r, *("—",) * (4 - len(r))]) + " |" for r in rows)


def label_table(results: dict) -> str:
    """Markdown rows of 07 and 08: the 100-label run against the paper, then every method at each label count."""
    rows = [("measure", "original", "ours"), ("---", "---", "---")]
    if "ssgan" in results:
        s = results["ssgan"]
        rows.append(
            (
                f"Semi-supervised GAN, {s['n_labels']} labels, test accuracy ({s['epochs']} epochs, "
                f"{s['seconds'] / 60:.1f} min)",
                f"paper {config.SSGAN_PAPER['test_accuracy']} ({config.SSGAN_PAPER['epochs']} epochs, GPU)",
                _acc(s["test_accuracy"]),
            )
        )
    if "label_efficiency" in results:
        summary = results["label_efficiency"]["summary"]
        counts = sorted({int(n) for per_method in summary.values() for n in per_method})
        header = " / ".join(f"{n:,}" for n in counts)
        originals = {
            "ssgan": f"paper: {config.SSGAN_PAPER['test_accuracy']} at 100",
            "trial3": f"{config.ORIGINAL_SMALL['trial3']:.2f} at 1k (1k test)",
            "cnn": f"{config.ORIGINAL_SMALL['cnn']:.2f} at 1k (1k test)",
        }
        order = [m for m in LABEL_EFFICIENCY_NAMES if m in summary] + sorted(set(summary) - set(LABEL_EFFICIENCY_NAMES))
        for method in order:
            per_method = summary[method]
            cells = []
            for n in counts:
                cell = per_method.get(str(n))
                if cell is None:
                    cells.append("—")
                elif cell["runs"] > 1:
                    cells.append(f"{cell['mean']:.4f} ± {cell['std']:.4f} (n={cell['runs']})")
                else:
                    cells.append(f"{_acc(cell['mean'])} (n=1)")
            rows.append(
                (
                    f"Labels {header}: {LABEL_EFFICIENCY_NAMES.get(method, method)} (mean ± std, n seeds)",
                    originals.get(method, "—"),
                    " / ".join(cells),
                )
            )
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def speed_table(results_dir: Path = BENCHMARK_RESULTS) -> str:
    """Markdown rows from the committed step benchmarks: the machine, then every variant's best round."""
    rows = [
        ("step", "variant", "images/s", "vs reference", "GFLOP/s", "of FP32 peak", "s/epoch"),
        ("---",) * 7,
    ]
    machines = []
    for name, label in BENCHMARKS.items():
        path = Path(results_dir) / f"{name}.json"
        if not path.is_file():
            continue
        bench = fileio.read_json_object(path, "a benchmark's results", f"Rerun benchmarks/{name}.py.")
        m = bench["machine"]
        machines.append(
            f"{label}: {m['model']}, {m['cores']} cores at {m['mhz']:.0f} MHz ({', '.join(m['flags'])}); "
            f"estimated FP32 peak {m['peak_fp32_gflops_estimate']:.0f} GFLOP/s; {bench['rounds']} interleaved "
            f"rounds of {bench['steps_timed_per_round']} steps, {bench['when']}"
        )
        for row in bench["rows"]:
            rows.append(
                (
                    label,
                    row["variant"] + (" (reference)" if row["variant"] == bench["reference"] else ""),
                    f"{row['images_per_second']:,.0f}",
                    f"{row['vs_reference']:.2f}x",
                    f"{row['achieved_gflops']:.0f}",
                    f"{row['fraction_of_fp32_peak']:.0%}",
                    f"{row['seconds_per_epoch']:.1f}",
                )
            )
    table = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    return table + "\n\n" + "\n".join(f"- {m}" for m in machines)


def precision_table(path: Path | None = None) -> str:
    """Markdown rows from the committed DCGAN precision study: each run, then mean ± std per precision."""
    path = Path(path or PRECISION_STUDY_PATH)
    if not path.is_file():
        return "(no precision study committed yet: run benchmarks/dcgan_precision.py)"
    study = fileio.read_json_object(path, "the DCGAN precision study", "Rerun benchmarks/dcgan_precision.py.")
    rows = [("precision", "seed", "classifier score", "Fréchet distance", "s/epoch"), ("---",) * 5]
    for run in sorted(study.get("runs", {}).values(), key=lambda r: (r["policy"], r["seed"])):
        rows.append(
            (
                run["policy"], str(run["seed"]), f"{run['classifier_score']:.2f}", f"{run['frechet_distance']:.1f}",
                f"{run['seconds_per_epoch']:.1f}",
            )
        )  # fmt: skip
    for policy in ("float32", "mixed_bfloat16"):
        entry = study.get("summary", {}).get(policy)
        if not entry:
            continue

        def cell(key, digits, entry=entry):
            m, sd = entry[key]["mean"], entry[key]["std"]
            return f"**{m:.{digits}f}**" + (f" ± {sd:.{digits}f}" if sd is not None else "")

        rows.append(
            (
                f"**{policy}, mean ± std**", f"n = {entry['n']}", cell("classifier_score", 2),
                cell("frechet_distance", 1), cell("seconds_per_epoch", 1),
            )
        )  # fmt: skip
    table = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    verdict = study.get("summary", {}).get("bf16_no_worse")
    if verdict is None:
        return table + "\n\nVerdict: not yet (fewer than 3 seeds per precision)."
    from digitgan.compare import describe_difference, difference

    scores = {p: {r["seed"]: r["classifier_score"] for k, r in study["runs"].items() if k.startswith(f"{p}/")}
              for p in ("mixed_bfloat16", "float32")}  # fmt: skip
    seeds = sorted(scores["float32"])  # the same seeds in both precisions: the test pairs them
    test = difference([scores["mixed_bfloat16"][s] for s in seeds], [scores["float32"][s] for s in seeds],
                      paired=sorted(scores["mixed_bfloat16"]) == seeds)  # fmt: skip
    return table + f"\n\nClassifier score, bf16 minus float32: {describe_difference(test)}."


def label_study_findings(results: dict) -> str:
    """What 07 and 08 found, in their own words (``digitgan.findings``), from the committed results."""
    parts = []
    if "ssgan" in results:
        parts.append("**The semi-supervised GAN with 100 labels (07).** " + extension_findings.ssgan(results["ssgan"]))
    if "label_efficiency" in results:
        parts.append("**Label efficiency (08).** " + extension_findings.label_efficiency(results["label_efficiency"]))
    return "\n\n".join(parts) or "(not run yet: `make extensions`)"


def _cells(cells: list[dict]) -> str:
    return " / ".join(extension_findings.cell(c) for c in cells)


def future_work_table(future: dict) -> str:
    """Markdown rows: the key numbers of 09-11 (test accuracy on the 10,000 real test images unless said), each
    compared number as mean ± std with its n."""
    rows = [("question", "measure", "result"), ("---",) * 3]
    if "longer_gan" in future:
        lg = future["longer_gan"]
        epochs = sorted(lg["stages"], key=int)
        for n in sorted(lg["cnn"], key=int, reverse=True):
            rows.append((
                "1: does longer GAN training bring trial 3 to the CNN? (09)",
                f"trial 3 on the discriminator after {' / '.join(epochs)} GAN epochs, {int(n):,} labelled images",
                _cells([lg["stages"][e]["trial3"][n] for e in epochs]),
            ))  # fmt: skip
            rows.append(("", "the CNN on the same images, budget and rule", extension_findings.cell(lg["cnn"][n])))
        rows.append((
            "4: do the GAN's losses and samples settle? (09)",
            f"classifier score / Fréchet distance after {' / '.join(epochs)} epochs",
            " / ".join(f"{lg['stages'][e]['classifier_score']:.2f}" for e in epochs) + "; "
            + " / ".join(f"{lg['stages'][e]['frechet_distance']:.1f}" for e in epochs),
        ))  # fmt: skip
    if "protocols" in future:
        cells = future["protocols"]["runs"]
        for model in ("cnn", "trial3"):
            for protocol in ("original", "modern"):
                mine = [c for c in cells if c["model"] == model and c["protocol"] == protocol]
                for n in sorted({c["n_train"] for c in mine}):
                    part = sorted((c for c in mine if c["n_train"] == n), key=lambda c: c["optimizer"])
                    rows.append((
                        "2: more images, other optimisers, a modern protocol (10)",
                        f"{config.NAMES.get(model, model)}, {n:,} images, "
                        + (f"{' / '.join(c['optimizer'] for c in part)} ({config.TRANSFER_EPOCHS} epochs at most)"
                           if protocol == "original"
                           else "augmentation + Adam, cosine (" + " / ".join(f"{c['recipe']['epochs']}" for c in part)
                           + " epochs at most, chosen on validation)"),
                        _cells(part),
                    ))  # fmt: skip
    if "generated_digits" in future:
        gd = future["generated_digits"]
        worst, digits = extension_findings.worst_digit(gd["judge_accuracy_on_generated"])
        rows.append((
            "3: how real are generated digits to a classifier? (11)",
            "the judge's accuracy on the conditional DCGAN's digits (worst digit)",
            f"{gd['judge_accuracy_on_generated']['overall']:.2%} ({digits[worst]:.2%})",
        ))  # fmt: skip
        if "within_class_spread" in gd:
            rows.append((
                "3: how real are generated digits to a classifier? (11)",
                "how much the digits of one class differ (within-class pixel spread), generated / real",
                f"{gd['within_class_spread']['generated']:.3f} / {gd['within_class_spread']['real']:.3f}",
            ))  # fmt: skip
        for arm, cell in extension_findings.ordered_arms(gd["arms"]).items():
            size, _, how = arm.removeprefix("generated ").partition(" ")
            what = (f"the CNN trained on {size} generated digits filtered by a CNN trained on real digits {how} "
                    "(not generated digits alone)" if arm.startswith("generated") and how else
                    f"the CNN trained on {arm}" + (" (**headline**: generated digits alone)" if arm == "generated 10k"
                                                   else ""))  # fmt: skip
            rows.append(("3: do generated digits help? (11)", what, extension_findings.cell(cell)))
        if "same_recipe_on_real" in gd:
            rows.append(("3: do generated digits help? (11)", "the filtered arms' recipe on the real 10k",
                         extension_findings.cell(gd["same_recipe_on_real"])))  # fmt: skip
    named = None
    for i in range(2, len(rows)):  # a question is named on its first row only
        if rows[i][0] and rows[i][0] == named:
            rows[i] = ("", *rows[i][1:])
        named = rows[i][0] or named
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def future_work_findings(results: dict) -> str:
    """09-11's key numbers (one table) and what each notebook found, in its own words, from the committed
    results."""
    future = results.get("future_work", {})
    if not future:
        return "(not run yet: `make future`)"
    parts = [future_work_table(future)]
    for key, title, finding in (
        ("longer_gan", "Longer GAN training (09, questions 1 and 4).", extension_findings.longer_gan),
        ("protocols", "More images, optimisers, a modern protocol (10, question 2).", extension_findings.protocols),
        ("generated_digits", "Generated digits (11, question 3).", extension_findings.generated_digits),
    ):
        if key in future:
            parts.append(f"**{title}** " + finding(future[key]))
        else:
            parts.append(f"**{title}** Not run at full size yet.")
    return "\n\n".join(parts)


def headlines_table(results: dict) -> str:
    """Markdown rows: each extension's headline number, what it is compared with, the t-test of the two (named), its
    p and the Holm-adjusted p over the table's rows (the family of headline claims)."""
    from digitgan.compare import SHORT_TESTS, difference_from_summary, holm

    found = []  # (question, result, compared with, test record)
    study = results.get("label_efficiency", {})
    ssgan = study.get("summary", {}).get("ssgan", {})
    runs = [r["test_accuracy"] for r in sorted(study.get("runs", []), key=lambda r: r["seed"])
            if r["method"] == "ssgan" and r["n_labels"] == 100]  # fmt: skip
    paper = config.SSGAN_PAPER
    if len(runs) > 1:
        found.append(("Semi-supervised GAN, 100 labels (08)", extension_findings.cell(ssgan["100"]),
                      f"Salimans et al., {paper['test_accuracy']:.4f} ± {paper['std']:.4f} ({paper['seeds']} seeds, "
                      f"{paper['epochs']} epochs)",
                      difference_from_summary(runs, paper["test_accuracy"], paper["std"], paper["seeds"])))  # fmt: skip
    matched = study.get("cnn_matched")
    for n, d in (matched or {}).get("ssgan_minus_matched", {}).items():
        found.append((f"Semi-supervised GAN, {int(n):,} labels (08)", extension_findings.cell(ssgan[n]),
                      f"a CNN given the same {matched['summary'][n]['n_updates']:,} updates, "
                      f"{extension_findings.cell(matched['summary'][n])}", d))  # fmt: skip
    budgets = study.get("transfer_vs_scratch") or {}
    arms = {"15 epochs": (study.get("epoch_budget") or {}).get("summary", {})}
    arms.update({b: study.get("summary", {}) for b in budgets if b != "15 epochs"})
    for budget, per in budgets.items():
        for n, d in per.items():
            if budget != "15 epochs" and d["n_updates"] == (budgets.get("15 epochs", {}).get(n) or {}).get("n_updates"):
                continue  # the same runs as the 15-epoch row
            cells = arms[budget]
            shown = "" if budget.endswith("updates") else f" ({d['n_updates']:,} updates)"
            found.append((f"Trial 3, {int(n):,} labels, {budget}{shown} (08)",
                          extension_findings.cell(cells["trial3"][n]), "the CNN, same images and budget, "
                          + extension_findings.cell(cells["cnn"][n]), d))  # fmt: skip
    future = results.get("future_work", {})
    if "longer_gan" in future:
        items = extension_findings.longer_gan_items(future["longer_gan"])
        for n, i in items["labels"].items():
            v = i["versus"]
            found.append((f"Trial 3 after {i['best']} GAN epochs (best on validation), {n:,} labels (09)", v.shown[0],
                          f"the CNN, same images and budget, {v.shown[1]}", v.test))  # fmt: skip
    if "protocols" in future:
        v = extension_findings.protocols_items(future["protocols"])["trial3_vs_cnn"]
        if v:
            found.append(("Trial 3, modern recipe, 10,000 images (10)", v.shown[0],
                          f"the CNN, same recipe, {v.shown[1]}", v.test))  # fmt: skip
    if "generated_digits" in future:
        for v in extension_findings.generated_items(future["generated_digits"])["below_real"][:1]:
            found.append((f"A CNN trained only on {v.what.removeprefix('only ')} (11)", v.shown[0],
                          f"the same CNN on the real 10,000, {v.shown[1]}", v.test))  # fmt: skip
    adjusted = holm([d["p"] for *_, d in found])
    rows = [("question (notebook)", "result", "compared with", "difference (95% CI)", "test", "p",
             f"Holm p ({len(found)} rows)"), ("---",) * 7]  # fmt: skip
    for (question, result, against, d), p_holm in zip(found, adjusted, strict=True):
        low, high = d["ci95"]
        verdict = "" if p_holm < SIGNIFICANCE_HOLM else ": not distinguishable after Holm"
        rows.append((question, result, against, f"{d['difference']:+.4f} ({low:+.4f} to {high:+.4f})",
                     SHORT_TESTS.get(d["test"], d["test"]), f"{d['p']:.2g}", f"{p_holm:.2g}{verdict}"))  # fmt: skip
    # every cell has 3 seeds, which the README says once, above the table
    return "\n".join("| " + " | ".join(r).replace(" (n = 3)", "") + " |" for r in rows)


SIGNIFICANCE_HOLM = 0.05  # the family-wise error rate the Holm-adjusted p is read against


def label_study_block(results: dict) -> str:
    """docs/extensions.md's block: 07-08's table, then what they found."""
    return label_table(results) + "\n\n" + label_study_findings(results)


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


def record_finding(notebook: str, results: dict) -> str:
    """A notebook's "What we found" written from the study's record (``figures/results.json``), never from the
    outputs a notebook file holds (a notebook saved after a scratch run holds that run's)."""
    from digitgan import findings

    future = results.get("future_work", {})
    trials = {trial_notebook: trial for trial, (trial_notebook, _) in config.TRIALS.items()}
    if notebook in trials:
        return findings.trial(trials[notebook], results[trials[notebook]], results)
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
    return write[notebook]()


def record_finding_lines(notebook: str, results: dict) -> list[str]:
    return [line.strip() for line in str(record_finding(notebook, results)).splitlines() if line.strip()]


def notebooks_table(results: dict | None = None) -> str:
    """The README's map of the notebooks: what each asks, and the first line of what it found."""
    rows = [("notebook", "asks", "found"), ("---",) * 3]
    for name, question in QUESTIONS.items():
        results = results if results is not None else fileio.load_results(config.COMMITTED_RESULTS_PATH)
        first = record_finding_lines(name, results)[0]
        rows.append((f"[`{name}`](notebooks/{name}.ipynb)", question, first.replace("|", "\\|")))
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


DOCS = config.PROJ_ROOT / "docs"
# Every generated block: (document, marker name, what writes it from the committed results). Tests hold each
# committed block equal to what its function gives now.
BLOCKS = (
    (README, "results", results_table),
    (README, "headlines", headlines_table),
    (README, "notebooks", notebooks_table),
    (DOCS / "extensions.md", "label-study", label_study_block),
    (DOCS / "future-work.md", "future-work", future_work_findings),
    (DOCS / "versions.md", "versions", versions.block),
    (DOCS / "speed.md", "speed", lambda results: speed_table()),
    (DOCS / "speed.md", "precision", lambda results: precision_table()),
)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def update_documents(results_path: Path = COMMITTED_RESULTS) -> list[Path]:
    """Rewrite every generated block from the committed results; returns the documents that changed."""
    results = fileio.load_results(results_path)
    texts = {}
    for document, name, generate in BLOCKS:
        start, end = _markers(name)
        text = texts.get(document) or Path(document).read_text()
        if start not in text:
            raise ValueError(f"{config.shown(document)} has no {start} marker")
        block = f"{start}\n{generate(results)}\n{end}"
        texts[document] = re.sub(re.escape(start) + r"\n(?:.*?\n)?" + re.escape(end), lambda _, b=block: b, text,
                                 flags=re.S)  # fmt: skip
    changed = [document for document, text in texts.items() if Path(document).read_text() != text]
    for document in changed:
        fileio.atomic_write_text(Path(document), texts[document])
    return changed


if __name__ == "__main__":
    changed = update_documents()
    for path in changed:
        print(f"updated {config.shown(path)}")
    print(f"{len(changed)} of {len({document for document, _, _ in BLOCKS})} documents changed")
