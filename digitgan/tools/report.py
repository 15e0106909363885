"""The README's results table, generated from ``figures/results.json``.

    python -m digitgan.tools.report          # rewrite the blocks between the markers in README.md

The README holds the table between ``<!-- results:start -->`` and ``<!-- results:end -->`` (and the speed and
precision tables, and the label study's findings, between their own markers); tests check that each equals what
this module generates from the committed results, so the two cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path

from digitgan import config, utils
from digitgan.extensions import findings as extension_findings

LABEL_EFFICIENCY_NAMES = {
    **config.LABEL_EFFICIENCY_NAMES,
    "cnn_matched": "CNN, modern recipe, the semi-supervised GAN's updates",
}
START, END = "<!-- results:start -->", "<!-- results:end -->"
SPEED_START, SPEED_END = "<!-- speed:start -->", "<!-- speed:end -->"
PRECISION_START, PRECISION_END = "<!-- precision:start -->", "<!-- precision:end -->"
FINDINGS_START, FINDINGS_END = "<!-- label-study:start -->", "<!-- label-study:end -->"
FUTURE_START, FUTURE_END = "<!-- future-work:start -->", "<!-- future-work:end -->"
README = config.PROJ_ROOT / "README.md"
COMMITTED_RESULTS = config.COMMITTED_RESULTS_PATH
BENCHMARK_RESULTS = config.PROJ_ROOT / "benchmarks" / "results"
BENCHMARKS = {"dcgan_step": "DCGAN", "ssgan_step": "SSGAN"}


def _acc(value) -> str:
    return f"{value:.4f}"


def _pair(entry: dict) -> str:
    return f"{_acc(entry['train_accuracy'])} / {_acc(entry['test_accuracy'])}"


def results_table(results: dict) -> str:
    """Markdown rows: what was measured, the original's number, ours."""
    rows = [("measure", "original", "ours"), ("---", "---", "---")]
    if "cnn" in results:
        rows.append(
            ("CNN, train / test accuracy (10k subset, 15 epochs)", config.original_pair("cnn"), _pair(results["cnn"]))
        )
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
                "DCGAN, rarest / commonest generated digit",
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
            rows.append((f"{name}, train / test accuracy", config.original_pair(key), _pair(results[key])))
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
        bench = utils.read_json_object(path, "a benchmark's results", f"Rerun benchmarks/{name}.py.")
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
    path = Path(path or config.PRECISION_STUDY_PATH)
    if not path.is_file():
        return "(no precision study committed yet: run benchmarks/dcgan_precision.py)"
    study = utils.read_json_object(path, "the DCGAN precision study", "Rerun benchmarks/dcgan_precision.py.")
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

    scores = {p: [r["classifier_score"] for k, r in study["runs"].items() if k.startswith(f"{p}/")]
              for p in ("mixed_bfloat16", "float32")}  # fmt: skip
    test = difference(scores["mixed_bfloat16"], scores["float32"])
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


def readme_future_work_findings(readme: Path = README) -> str:
    return _block(readme, FUTURE_START, FUTURE_END)


def readme_label_study_findings(readme: Path = README) -> str:
    return _block(readme, FINDINGS_START, FINDINGS_END)


def readme_precision_table(readme: Path = README) -> str:
    return _block(readme, PRECISION_START, PRECISION_END)


def _block(readme: Path, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), readme.read_text(), re.S)
    if not match:
        raise ValueError(f"{readme} has no {start} ... {end} block")
    return match.group(1)


def readme_table(readme: Path = README) -> str:
    """The results table currently in the README (between the markers)."""
    return _block(readme, START, END)


def readme_speed_table(readme: Path = README) -> str:
    return _block(readme, SPEED_START, SPEED_END)


def update_readme(readme: Path = README, results_path: Path = COMMITTED_RESULTS) -> str:
    results = utils.load_results(results_path)
    table = results_table(results)
    text = readme.read_text()
    # a block may still be empty (markers on consecutive lines) before the first run
    blocks = (
        (START, END, table),
        (SPEED_START, SPEED_END, speed_table()),
        (PRECISION_START, PRECISION_END, precision_table()),
        (FINDINGS_START, FINDINGS_END, label_study_findings(results)),
        (FUTURE_START, FUTURE_END, future_work_findings(results)),
    )
    for start, end, body in blocks:
        text = re.sub(re.escape(start) + r"\n(?:.*?\n)?" + re.escape(end), f"{start}\n{body}\n{end}", text, flags=re.S)
    utils.atomic_write_text(readme, text)
    return table


if __name__ == "__main__":
    print(update_readme())
