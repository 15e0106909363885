"""The generated blocks of docs/ (extensions, future-work, speed and versions .md), written by tools.report."""

import json
from pathlib import Path

from digitgan import config, fileio
from digitgan.extensions import constants, verdicts
from digitgan.extensions import findings as extension_findings
from digitgan.extensions.verdicts import cell
from digitgan.utils import describe_difference, difference

_BENCHMARKS = config.PROJ_ROOT / "benchmarks" / "results"
_MATCHED = "CNN, modern recipe, the semi-supervised GAN's updates"
_LABEL_NAMES = {**constants.LABEL_EFFICIENCY_NAMES, "cnn_matched": _MATCHED}
_LABEL_NAMES["cnn_matched_early"] = f"{_MATCHED}, stopped early"
_SPEED = "{images_per_second:,.0f} {vs_reference:.2f}x {achieved_gflops:.0f} {fraction_of_fp32_peak:.0%}"
_SPEED += " {seconds_per_epoch:.1f}"
_MACHINE = "{model}, {cores} cores at {mhz:.0f} MHz ({flags}); estimated FP32 peak {peak_fp32_gflops_estimate:.0f} "
_MACHINE += "GFLOP/s; {rounds} interleaved rounds of {steps_timed_per_round} steps, {when}"
EARLIER, _WHY = map(json.loads(Path(__file__).with_name("earlier_versions.json").read_text()).get, ("earlier", "why"))
_SEEDS = "(test mean of 3 seeds at 100 / 1,000 / 10,000 labels)"


def table(header: tuple[str, ...], rows) -> str:
    return "\n".join("| " + " | ".join(row) + " |" for row in [header, ("---",) * len(header), *rows])


def label_study_block(results: dict) -> str:
    """docs/extensions.md's block: 07 and 08's table, then what they found."""
    rows, found, paper = [], [], constants.SSGAN_PAPER
    if s := results.get("ssgan"):
        measure = f"Semi-supervised GAN, {s['n_labels']} labels, test accuracy ({s['epochs']} epochs, "
        original = f"paper {paper['test_accuracy']} ({paper['epochs']} epochs, GPU)"
        rows.append((measure + f"{s['seconds'] / 60:.1f} min)", original, f"{s['test_accuracy']:.4f}"))
        found.append("**The semi-supervised GAN with 100 labels (07).** " + extension_findings.ssgan(s))
    if study := results.get("label_efficiency"):
        summary = study["summary"]
        counts = sorted({int(n) for per_method in summary.values() for n in per_method})
        originals = {m: f"{config.ORIGINAL_SMALL[m]:.2f} at 1k (1k test)" for m in ("trial3", "cnn")}
        originals["ssgan"] = f"paper: {paper['test_accuracy']} at 100"
        for method in (m for m in _LABEL_NAMES if m in summary):
            cells, trained = [], (study.get(method) or {}).get("summary", {})
            for n, c in ((str(n), summary[method][str(n)]) for n in counts):
                span = "-".join(dict.fromkeys(f"{x:,}" for x in trained.get(n, {}).get("updates_trained") or ()))
                span = span and f"; {span} of {trained[n]['n_updates']:,} updates trained"  # "1,500" or "900-1,500"
                cells.append(f"{c['mean']:.4f} ± {c['std']:.4f} (n={c['runs']}{span})")
            measure = f"Labels {' / '.join(f'{n:,}' for n in counts)}: {_LABEL_NAMES[method]} (mean ± std, n seeds)"
            rows.append((measure, originals.get(method, "—"), " / ".join(cells)))
        found.append("**Label efficiency (08).** " + extension_findings.label_efficiency(study))
    found = "\n\n".join(found) or "(not run yet: `make extensions`)"
    return table(("measure", "original", "ours"), rows) + "\n\n" + found


def speed_table() -> str:
    """The committed step benchmarks: every variant's best round, then each machine."""
    rows, machines = [], []
    for name, label in {"dcgan_step": "DCGAN", "ssgan_step": "SSGAN"}.items():
        bench = fileio.read_json_object(_BENCHMARKS / f"{name}.json", "a benchmark", f"Rerun benchmarks/{name}.py.")
        m = {**bench["machine"], "flags": ", ".join(bench["machine"]["flags"])}
        machines.append(f"- {label}: " + _MACHINE.format(**m, **bench))
        for row in bench["rows"]:
            variant = row["variant"] + (" (reference)" if row["variant"] == bench["reference"] else "")
            rows.append((label, variant, *_SPEED.format(**row).split()))
    header = ("step", "variant", "images/s", "vs reference", "GFLOP/s", "of FP32 peak", "s/epoch")
    return table(header, rows) + "\n\n" + "\n".join(machines)


def precision_table(path: Path = _BENCHMARKS / "dcgan_precision.json") -> str:
    """The DCGAN precision study: each run, each precision's mean ± std, and bf16 against float32 on the same seeds."""
    study = fileio.read_json_object(Path(path), "the DCGAN precision study", "Rerun benchmarks/dcgan_precision.py.")
    runs = sorted(study["runs"].values(), key=lambda r: (r["policy"], r["seed"]))
    measures = (("classifier_score", 2), ("frechet_distance", 1), ("seconds_per_epoch", 1))
    rows = [(r["policy"], str(r["seed"]), *(f"{r[k]:.{d}f}" for k, d in measures)) for r in runs]
    for policy in ("float32", "mixed_bfloat16"):
        e = study["summary"][policy]
        spread = [f" ± {e[k]['std']:.{d}f}" if e[k]["std"] is not None else "" for k, d in measures]
        cells = [f"**{e[k]['mean']:.{d}f}**{sd}" for (k, d), sd in zip(measures, spread, strict=True)]
        rows.append((f"**{policy}, mean ± std**", f"n = {e['n']}", *cells))
    text = table(("precision", "seed", "classifier score", "Fréchet distance", "s/epoch"), rows)
    bf16, fp32 = ([r for r in runs if r["policy"] == p] for p in ("mixed_bfloat16", "float32"))
    paired = [r["seed"] for r in bf16] == [r["seed"] for r in fp32]  # the same seeds
    test = difference(*([r["classifier_score"] for r in rs] for rs in (bf16, fp32)), paired=paired)
    return text + f"\n\nClassifier score, bf16 minus float32: {describe_difference(test)}."


def _future_work_table(future: dict) -> str:
    """The key numbers of 09-11, a question named on its first row only."""
    rows = []  # (question, measure, result), each question's rows together
    if lg := future.get("longer_gan"):
        epochs, q = sorted(lg["stages"], key=int), "1: does longer GAN training bring trial 3 to the CNN? (09)"
        stages, at = [lg["stages"][e] for e in epochs], " / ".join(epochs)
        for n in sorted(lg["cnn"], key=int, reverse=True):
            measure = f"trial 3 on the discriminator after {at} GAN epochs, {int(n):,} labelled images"
            rows.append((q, measure, " / ".join(cell(s["trial3"][n]) for s in stages)))
            rows.append((q, "the CNN on the same images, budget and rule", cell(lg["cnn"][n])))
        scores = " / ".join(f"{s['classifier_score']:.2f}" for s in stages)
        distances = " / ".join(f"{s['frechet_distance']:.1f}" for s in stages)
        measure = f"classifier score / Fréchet distance after {at} epochs"
        rows.append(("4: do the GAN's losses and samples settle? (09)", measure, f"{scores}; {distances}"))
    if "protocols" in future:
        question, runs = "2: more images, other optimisers, a modern protocol (10)", future["protocols"]["runs"]
        groups = {}  # (model, modern, images): its cells by optimizer
        for c in sorted((c for c in runs if c["model"] in ("cnn", "trial3")), key=lambda c: c["optimizer"]):
            groups.setdefault((c["model"], c["protocol"] == "modern", c["n_train"]), []).append(c)
        for (model, modern, n), part in sorted(groups.items()):
            how = f"{' / '.join(c['optimizer'] for c in part)} ({config.TRANSFER_EPOCHS} epochs at most)"
            if modern:
                budgets = " / ".join(f"{c['recipe']['epochs']}" for c in part)
                how = f"augmentation + Adam, cosine ({budgets} epochs at most, chosen on validation)"
            measure = f"{config.NAMES.get(model, model)}, {n:,} images, {how}"
            rows.append((question, measure, " / ".join(map(cell, part))))
    if gd := future.get("generated_digits"):
        real, helps = "3: how real are generated digits to a classifier? (11)", "3: do generated digits help? (11)"
        judged = gd["judge_accuracy_on_generated"]
        worst, digits = verdicts.worst_digit(judged)
        measure = "the judge's accuracy on the conditional DCGAN's digits (worst digit)"
        rows.append((real, measure, f"{judged['overall']:.2%} ({digits[worst]:.2%})"))
        if spread := gd.get("within_class_spread"):
            measure = "how much the digits of one class differ (within-class pixel spread), generated / real"
            rows.append((real, measure, f"{spread['generated']:.3f} / {spread['real']:.3f}"))
        for arm, c in verdicts.ordered_arms(gd["arms"]).items():
            size, _, how = arm.removeprefix("generated ").partition(" ")
            filters = arm.startswith("generated") and how and verdicts.probe_filters(gd, how)
            filtered = f"{size} generated digits filtered by a CNN trained on real digits {how}"
            what = f"{filtered} (not generated digits alone)" if filters else arm
            what += " (**headline**: generated digits alone)" if arm == "generated 10k" else ""
            rows.append((helps, f"the CNN trained on {what}", cell(c)))
        if "same_recipe_on_real" in gd:
            rows.append((helps, "the best probe's recipe on the real 10k", cell(gd["same_recipe_on_real"])))
    rows = [("" if i and rows[i - 1][0] == row[0] else row[0], *row[1:]) for i, row in enumerate(rows)]
    return table(("question", "measure", "result"), rows)


def future_work_findings(results: dict) -> str:
    """09-11's key numbers (one table) and what each notebook found."""
    if not (future := results.get("future_work", {})):
        return "(not run yet: `make future`)"
    parts = [_future_work_table(future)]
    for key, title, finding in (
        ("longer_gan", "Longer GAN training (09, questions 1 and 4).", extension_findings.longer_gan),
        ("protocols", "More images, optimisers, a modern protocol (10, question 2).", extension_findings.protocols),
        ("generated_digits", "Generated digits (11, question 3).", extension_findings.generated_digits),
    ):
        parts.append(f"**{title}** " + (finding(future[key]) if key in future else "Not run at full size yet."))
    return "\n\n".join(parts)


def _means(per_label: dict) -> str:
    return " / ".join(f"{v:.4f}" for _, v in sorted(per_label.items(), key=lambda kv: int(kv[0])))


def versions_block(results: dict) -> str:
    """The table of every version scored on the test set: result, date, version, numbers, kept or why replaced."""
    rows = [(e["result"], e["date"], e["recipe"], e["numbers"], e["why"]) for e in EARLIER]
    label_study = results["label_efficiency"]
    for v in label_study["versions_tried"]:
        why = next((_WHY[k] for k in ("50 epochs", "first training") if k in v["version"]), "reported")
        seeds = _SEEDS if len(v["test_mean"]) > 1 else "(test mean of 3 seeds, 100 labels)"
        date = "2026-11-28" if "50 epochs" in v["version"] else "2026-11-29"
        rows.append(("Semi-supervised GAN (08)", date, v["version"], f"{_means(v['test_mean'])} {seeds}", why))
    if early := label_study.get("cnn_matched_early"):
        trained, s = [r["updates_trained"] for r in early["runs"]], early["settings"]
        version = f"modern recipe, the semi-supervised GAN's budget, stopped after {s['patience']} checks without "
        version += f"progress ({min(trained):,} to {max(trained):,} of {s['updates']:,} updates trained)"
        numbers = f"{_means({n: c['mean'] for n, c in early['summary'].items()})} {_SEEDS}"
        rows.append(("Compute-matched CNN (08), stopped early", "2026-12-05", version, numbers, _WHY["stopped early"]))
    for v in results["future_work"]["protocols"]["versions_tried"]:
        r, date = v["recipe"], "2026-11-29" if v["recipe"]["dropout"] else "2026-11-28"
        version = f"{r['epochs']} epochs, learning rate {r['learning_rate']:g}, dropout {r['dropout']:g}"
        numbers, why = f"{v['test_mean']:.4f} (test mean of 3 seeds)", "reported" if v["reported"] else _WHY["modern"]
        rows.append((f"Modern recipe, {v['result']} (10)", date, version, numbers, why))
    return table(("result", "date", "version", "test accuracy", "kept or why replaced"), rows)
