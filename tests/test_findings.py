"""The findings' records (what is compared with what, the difference, the verdict and its test) and the templates that
word them, on made-up numbers and on the committed results."""

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from digitgan import config, findings
from digitgan.extensions import constants, verdicts
from digitgan.extensions import findings as ext

COMMITTED = json.loads(config.COMMITTED_RESULTS_PATH.read_text())
FUTURE = COMMITTED.get("future_work", {})


def expected_verdict(v) -> str:
    """A record's verdict by the rule, whatever the numbers: the sign of its difference (level within ±0.00005),
    and where it has a t-test, only if that test's p is below 0.05."""
    if v.test is not None and not (v.test["p"] is not None and v.test["p"] < 0.05):
        return "not distinguishable"
    return "above" if v.difference >= 0.00005 else "below" if v.difference <= -0.00005 else "level"


def assert_paired(v, cell: dict, reference: dict) -> None:
    """``v`` sets ``cell`` against ``reference`` (cells of a record: mean and per-seed values) by scipy's paired
    t-test over their seeds, and its verdict follows the rule."""
    seeds = sorted(reference["by_seed"])
    assert sorted(cell["by_seed"]) == seeds
    paired = stats.ttest_rel([cell["by_seed"][s] for s in seeds], [reference["by_seed"][s] for s in seeds])
    assert (v.value, v.reference) == (cell["mean"], reference["mean"])
    assert v.difference == pytest.approx(cell["mean"] - reference["mean"])
    assert v.test["test"] == "paired t-test" and v.test["p"] == pytest.approx(paired.pvalue)
    assert v.verdict == expected_verdict(v)


def test_a_single_run_is_compared_by_its_difference_and_seeds_by_their_t_test():
    one = findings.versus("x", 0.95, "y", 0.94)
    assert (one.difference, one.verdict, one.test) == (pytest.approx(0.01), "above", None)
    assert findings.versus("x", 0.94, "y", 0.95).verdict == "below"
    assert findings.versus("x", 0.94, "y", 0.94002).verdict == "level"
    a, b = [0.95, 0.96, 0.97], [0.90, 0.91, 0.93]
    clear = findings.versus("x", 0.96, "y", 0.9133, a, b)
    assert clear.verdict == "above" and clear.test["test"] == "Welch t-test"
    assert clear.test["p"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    # two seeds each that overlap: the test claims nothing
    close = findings.versus("x", 0.95, "y", 0.94, [0.93, 0.97], [0.95, 0.93])
    assert close.verdict == "not distinguishable" and not close.test["claimed"]
    paired = findings.versus("x", 2.0, "y", 1.9, [1.0, 2.0, 3.1], [0.9, 1.9, 3.0], paired=True)
    assert paired.test["test"] == "paired t-test" and paired.verdict == "above"
    assert findings.versus("x", 0.9, "y", 0.8, [0.9], [0.8, 0.7]).test is None  # one side ran once: untested


def test_the_wording_claims_a_direction_only_where_a_test_does():
    one = findings.versus("x", 0.9058, "the CNN", 0.9638)  # one run each: the difference, no verdict word
    assert findings.vs(one) == "against 0.9638 for the CNN: -0.0580 (one run each; not tested)"
    close = findings.versus("x", 0.95, "y", 0.94, [0.93, 0.97], [0.95, 0.93])
    assert findings.vs(close).endswith(": not distinguishable with 2 seeds")
    clear = findings.versus("x", 0.96, "y", 0.9133, [0.95, 0.96, 0.97], [0.90, 0.91, 0.93])
    assert "(95% CI " in findings.vs(clear) and "not distinguishable" not in findings.vs(clear)
    assert findings.tested(None, 0.4, "not tested: a scratch run") == "+0.4000 (not tested: a scratch run)"
    aim = verdicts.aim("The CNN", {"mean": 0.9488, "std": 0.0038, "runs": 3}, 0.97, where=" on real test digits")
    assert (aim.reference, aim.verdict, aim.test) == (0.97, "below", None)
    assert "does **not** reach" in findings.reach(aim)
    assert (findings.count(1, "epoch"), findings.count(1_500, "update")) == ("1 epoch", "1,500 updates")
    assert (
        findings._size({"n_train": 1, "epochs": 1}) == "1 image, 1 epoch" and findings._size({}) == "size not recorded"
    )


def test_a_trial_names_the_cnn_it_is_compared_with_and_the_original():
    study = {"test_accuracy": 0.9638, "n_train": 10_000, "epochs": 15}
    v = findings._against({"test_accuracy": 0.16, "n_train": 500, "epochs": 1}, "trial1", study)
    assert v.against == "the study's CNN (10,000 images, 15 epochs)"
    assert (v.value, v.reference, v.verdict) == (0.16, 0.9638, "below") and v.difference == pytest.approx(-0.8038)
    same = findings._against({**study, "test_accuracy": 0.97}, "trial1", study)
    assert same.against == "the study's CNN (same budget)" and same.verdict == "above"
    original = findings._against({**study, "test_accuracy": 0.9417}, "trial3")
    assert (original.reference, original.verdict) == (0.94, "above")
    assert original.against == "the original report's Trial 3 (same budget)"
    assert "Against ≈0.94 for the original report's Trial 3" in findings.trial("trial3", COMMITTED["trial3"], COMMITTED)
    assert findings._against(study, "trial4") is None and findings._against(study, None) is None  # nothing to compare


def test_rankings_say_whether_the_order_is_the_originals():
    original = {k: v["test_accuracy"] for k, v in config.ORIGINAL_ACCURACY.items()}
    full = {"trial1": 0.90, "cnn": 0.97, "trial2": 0.92, "trial3": 0.95}
    assert findings._ranked(full, original) == (["cnn", "trial3", "trial2", "trial1"], "the original report's order")
    swapped = findings._ranked({"pca_knn": 0.89, "trial3": 0.87, "cnn": 0.99}, config.ORIGINAL_SMALL)
    assert swapped == (["cnn", "pca_knn", "trial3"], "not the original report's order")
    further, order = findings._ranked({**full, "trial4": 0.99}, original)
    assert further[0] == "trial4" and order == "the original report's order"  # over the models it ran
    small = {**COMMITTED["comparison"]["small"], "cnn": 0.99}
    text = findings.comparison({**COMMITTED["comparison"], "small": small}).splitlines()
    assert "CNN 0.9900, PCA + KNN" in text[1] and "not the original report's order" in text[1]


def _label_metrics(accuracies: dict, matched: dict) -> dict:
    """A label study's record from ``{method: {n_labels: [seed 42, 43, 44]}}`` and the matched CNN's likewise."""

    def cell(values, updates):
        return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "runs": 3, "n_updates": updates}

    budget = {"cnn": 1500, "trial3": 1500, "pca_knn": None, "ssgan": 54_000}
    return {
        "summary": {m: {str(n): cell(v, budget[m]) for n, v in per.items()} for m, per in accuracies.items()},
        "runs": [{"method": m, "n_labels": n, "seed": 42 + i, "test_accuracy": a}
                 for m, per in accuracies.items() for n, v in per.items() for i, a in enumerate(v)],
        "cnn_matched": {"summary": {str(n): cell(v, 54_000) for n, v in matched.items()},
                        "runs": [{"n_labels": n, "seed": 42 + i, "test_accuracy": a}
                                 for n, v in matched.items() for i, a in enumerate(v)]},
    }  # fmt: skip


def test_label_efficiency_records_pair_the_seeds_of_each_label_count():
    metrics = _label_metrics(
        {"cnn": {100: [0.60, 0.62, 0.61], 10_000: [0.970, 0.972, 0.971]},
         "trial3": {100: [0.65, 0.66, 0.70], 10_000: [0.950, 0.951, 0.949]},
         "pca_knn": {100: [0.55, 0.56, 0.57], 10_000: [0.960, 0.961, 0.962]},
         "ssgan": {100: [0.980, 0.985, 0.982], 10_000: [0.9890, 0.9900, 0.9880]}},
        {100: [0.930, 0.940, 0.935], 10_000: [0.9895, 0.9885, 0.9899]},
    )  # fmt: skip
    items = verdicts.label_efficiency_items(metrics)["counts"]
    assert [m for m, _ in items[10_000]["ranked"]] == ["ssgan", "cnn", "pca_knn", "trial3"]
    lead, trial3 = items[100]["ssgan"], items[100]["trial3"]
    assert (lead.what, lead.against) == ("the semi-supervised GAN", "the CNN of the original protocol (1,500 updates)")
    paired = stats.ttest_rel([0.980, 0.985, 0.982], [0.60, 0.62, 0.61])
    assert lead.test["test"] == "paired t-test" and lead.test["p"] == pytest.approx(paired.pvalue)
    assert lead.verdict == "above" and trial3.difference == pytest.approx(np.mean([0.05, 0.04, 0.09]))
    # against the CNN given the GAN's 54,000 updates: paired by seed, the verdict follows the test
    far, near = items[100]["matched"], items[10_000]["matched"]
    assert "54,000 updates" in far.against and far.verdict == "above"
    assert far.test["p"] == pytest.approx(stats.ttest_rel([0.980, 0.985, 0.982], [0.930, 0.940, 0.935]).pvalue)
    assert near.verdict == "not distinguishable" and near.test["p"] > 0.05


def test_the_paper_is_tested_with_its_own_spread():
    from scipy import stats

    from digitgan.utils import difference_from_summary

    ours = [0.9860, 0.9857, 0.9885]
    d = difference_from_summary(ours, 0.9907, 0.00065, 10)
    expected = stats.ttest_ind_from_stats(np.mean(ours), np.std(ours, ddof=1), 3, 0.9907, 0.00065, 10, equal_var=False)
    assert d["p"] == pytest.approx(expected.pvalue) and d["p"] == pytest.approx(0.040, abs=0.002)
    assert d["ci95"][0] < d["difference"] < d["ci95"][1] < 0 and d["claimed"]


def test_longer_gan_records_name_the_stage_chosen_on_validation():
    record = FUTURE["longer_gan"]
    stages = {int(e): stage for e, stage in record["stages"].items()}
    items = verdicts.longer_gan_items(record)
    assert (items["first"], items["last"]) == (min(stages), max(stages))
    assert list(items["labels"]) == sorted({int(n) for s in stages.values() for n in s["trial3"]}, reverse=True)
    updates = next(r["n_updates"] for r in record["runs"] if r["model"] == "cnn")
    for n, at in items["labels"].items():
        cells = {e: stage["trial3"][str(n)] for e, stage in stages.items()}
        assert at["best"] == max(cells, key=lambda e: cells[e]["val_mean"])  # the validation splits, not the test set
        assert at["versus"].against == f"the CNN (same images, {updates:,} updates)"
        assert_paired(at["versus"], cells[at["best"]], record["cnn"][str(n)])
    g, d = (np.asarray(record["epoch_losses"][k]) for k in ("g_loss", "d_loss"))
    w = items["losses"]["window"]
    assert items["losses"]["settle"] == all(x[-w:].std() < x[:w].std() for x in (g, d))
    # the stage worst on the test set, made best on the validation splits, is the one named
    n = max(items["labels"])
    worst = min(stages, key=lambda e: stages[e]["trial3"][str(n)]["mean"])
    cell = {**stages[worst]["trial3"][str(n)], "val_mean": 2.0}
    flipped = {**record["stages"], str(worst): {**stages[worst], "trial3": {**stages[worst]["trial3"], str(n): cell}}}
    assert verdicts.longer_gan_items({**record, "stages": flipped})["labels"][n]["best"] == worst


def test_protocols_records_test_each_size_and_the_modern_gap():
    record = FUTURE["protocols"]
    items = verdicts.protocols_items(record)
    original = {(c["model"], c["optimizer"], c["n_train"]): c for c in record["runs"] if c["protocol"] == "original"}
    small, large = min(n for _, _, n in original), max(n for _, _, n in original)
    for model, records in items["bigger"].items():
        both = sorted(o for m, o, n in original if m == model and n == small and (m, o, large) in original)
        assert sorted(v.what for v in records) == both  # each optimiser run at both sizes: the larger against
        for v in records:  # the smaller
            assert v.against == f"{small:,} images"
            assert_paired(v, original[model, v.what, large], original[model, v.what, small])
    modern = {c["model"]: c for c in record["runs"] if c["protocol"] == "modern"}
    assert_paired(items["trial3_vs_cnn"], modern["trial3"], modern["cnn"])  # the same seeds: paired
    target = items["cnn_target"]
    assert target.against == "99%" and target.value == modern["cnn"]["mean"] and target.test is None
    assert target.verdict == expected_verdict(target)


def test_a_best_probe_that_does_not_filter_is_not_called_filtered():
    record = json.loads(json.dumps(FUTURE["generated_digits"]))
    for probe in record["sample_probes"]:
        probe["agree_with_real"] = False  # the winning probe kept every digit it drew
    items = verdicts.generated_items(record)
    assert items["filtered"] and not items["filters"]
    assert all("filtered" not in v.what for v in items["filtered"])
    assert "Filtered by a classifier" not in ext.generated_digits(record)
    assert verdicts.generated_items(FUTURE["generated_digits"])["filters"]  # the study's best probe does filter


def test_generated_records_claim_only_what_the_seeds_support():
    record = FUTURE["generated_digits"]
    arms = record["arms"]
    items = verdicts.generated_items(record)
    added = [a for a in arms if a.startswith("real +")]
    assert [v.what for v in items["added"]] == [a for a in verdicts.ordered_arms(arms) if a in added]
    for v in items["added"]:  # each against the real images alone, paired by seed
        assert_paired(v, arms[v.what], arms["real"])
    plain = [a for a in verdicts.ordered_arms(arms) if a.startswith("generated") and "(" not in a]
    assert [v.value for v in items["only"]] == [arms[a]["mean"] for a in plain]
    assert all(v.reference == verdicts.GENERATED_TARGET and v.verdict == expected_verdict(v) for v in items["only"])
    for v, arm in zip(items["below_real"], plain, strict=True):  # under the same CNN on real digits
        assert_paired(v, arms[arm], arms["real"])
    filtered = [a for a in verdicts.ordered_arms(arms) if a.startswith("generated") and "(" in a]
    for v, arm in zip(items["filtered"], filtered, strict=True):
        assert "filtered by a classifier" in v.what
        assert_paired(v, arms[arm], record["same_recipe_on_real"])
    spread = record["within_class_spread"]
    assert items["collapsed"] == (spread["generated"] / spread["real"] < verdicts.COLLAPSE_SPREAD)
    assert "not generated digits alone" in ext.generated_digits(record)


def test_ssgan_records_compare_with_the_paper_and_claim_nothing_from_one_run():
    items = verdicts.ssgan_items(COMMITTED["ssgan"])
    acc = COMMITTED["ssgan"]["test_accuracy"]
    assert items["paper"].difference == pytest.approx(acc - 0.9907) and items["paper"].test is None
    assert "mean of 10 seeds" in items["paper"].against
    assert "below it" not in ext.ssgan(COMMITTED["ssgan"]).splitlines()[0]


def committed_findings() -> dict:
    """Each notebook's finding as its last cell computes it, from the committed results (the notebooks pass the
    metrics they saved there, and their run)."""
    r = COMMITTED
    return {
        "01": findings.cnn(r["cnn"]), "02": findings.dcgan(r["dcgan"]),
        **{notebook[:2]: findings.trial(k, r[k], r) for k, (notebook, _) in config.TRIALS.items() if k in r},
        "06": findings.comparison(r["comparison"]), "07": ext.ssgan(r["ssgan"]),
        "08": ext.label_efficiency(r["label_efficiency"]), "09": ext.longer_gan(FUTURE["longer_gan"]),
        "10": ext.protocols(FUTURE["protocols"]), "11": ext.generated_digits(FUTURE["generated_digits"]),
    }  # fmt: skip


def headlines(r: dict) -> dict[str, tuple[str, str]]:
    """The headline of each notebook, read from the record ``r``: its number, in bold on line 1, and the number it is
    compared with."""
    future, acc = r["future_work"], "{:.4f}".format
    models = sorted(r["comparison"]["models"].values(), key=lambda m: -m["test_accuracy"])
    longer = future["longer_gan"]
    n = max(int(n) for stage in longer["stages"].values() for n in stage["trial3"])  # the most labels lead
    best = max(longer["stages"].values(), key=lambda stage: stage["trial3"][str(n)]["val_mean"])["trial3"][str(n)]
    modern = {c["model"]: c for c in future["protocols"]["runs"] if c["protocol"] == "modern"}
    arms, labels = future["generated_digits"]["arms"], r["label_efficiency"]
    return {
        "01": (acc(r["cnn"]["test_accuracy"]), config.original_number("cnn", "test_accuracy")),
        "02": (f"{r['dcgan']['classifier_score']:.2f}", f"{r['dcgan']['real_test_classifier_score']:.2f}"),
        **{notebook[:2]: (acc(r[k]["test_accuracy"]), acc(r["cnn"]["test_accuracy"]))
           for k, (notebook, _) in config.TRIALS.items() if k in r},
        "06": (acc(models[0]["test_accuracy"]), acc(models[1]["test_accuracy"])),
        "07": (acc(r["ssgan"]["test_accuracy"]), acc(constants.SSGAN_PAPER["test_accuracy"])),
        "08": (acc(labels["summary"]["ssgan"]["100"]["mean"]), acc(labels["cnn_matched"]["summary"]["100"]["mean"])),
        "09": (acc(best["mean"]), acc(longer["cnn"][str(n)]["mean"])),
        "10": (acc(modern["trial3"]["mean"]), acc(modern["cnn"]["mean"])),
        "11": (acc(arms["generated 10k"]["mean"]), acc(arms["real"]["mean"])),
    }  # fmt: skip


HEADLINES = headlines(COMMITTED)
WRONG_COUNT = re.compile(
    r"(?<![\d,.])(1 (?:epoch|image|label|seed|update|GAN)s\b|(?!1 )\d[\d,]* (?:epoch|image|label"
    r"|seed|update|GAN(?! epoch))\b)"
)  # "1 epochs", "15 epoch"; "150 GAN epochs" is right


def check_lines(text: str) -> list[str]:
    lines = text.splitlines()
    assert 1 <= len(lines) <= findings.LINES and all(len(line) <= 260 for line in lines), text
    assert not WRONG_COUNT.search(text), WRONG_COUNT.search(text)
    assert "seed spread" not in text and "for the CNN:" not in text  # never an unnamed CNN as the reference
    return lines


@pytest.mark.parametrize("notebook", sorted(HEADLINES))
def test_each_committed_finding_is_five_short_lines_with_its_headline_first(notebook):
    lines = check_lines(committed_findings()[notebook])
    if notebook <= "06":  # the study's own notebooks: four lines at most; the headline says how it was tested
        assert len(lines) <= 4 and re.search(r"not tested|p [=≤] ", lines[0])
    value, reference = HEADLINES[notebook]
    assert f"**{value}" in lines[0] and reference in lines[0] and lines[0].endswith(".")
    assert all(f"**{value}" not in line for line in lines[1:])  # the number stands once, in the headline


def test_a_further_trial_is_worded_without_an_original_and_names_its_fine_tuning(monkeypatch):
    monkeypatch.setitem(config.TRIALS, "trial4", ("12_trial4_dense256", {"HEAD": "dense256", "FROZEN_EPOCHS": 7}))
    trial = {**COMMITTED["trial3"], "head": "dense256", "fine_tune_optimizer": "adam", "fine_tune_learning_rate": 1e-4}
    text = findings.trial("trial4", trial, COMMITTED)
    assert text.splitlines()[0].startswith(f"Trial 4 (dense256) reaches **{trial['test_accuracy']:.4f} test accuracy**")
    assert "The original report has no such trial" in text and "fine-tuned with adam at 0.0001" in text
    assert "seeds 42-44" not in text  # make claims trains the study's trials only


def test_a_trial_run_with_another_head_or_schedule_is_not_compared_with_the_original():
    edited = {**COMMITTED["trial3"], "head": "dense256"}
    text = findings.trial("trial3", edited, COMMITTED)
    assert text.startswith("Trial 3, edited, reaches") and "The original report has no such trial" in text
    assert "seeds 42-44" not in text and "Trial 3 (Dense(128))" not in text
    assert findings.trial("trial3", COMMITTED["trial3"], COMMITTED).startswith("Trial 3 (Dense(128)) reaches")


def test_the_counts_are_checked_for_their_plural():
    assert WRONG_COUNT.search("after 1 epochs") and WRONG_COUNT.search("on 15 epoch runs")
    assert not WRONG_COUNT.search("1 epoch on 1,000 images, 15 epochs, 0.5 labels, 100 labels, 1 GAN, 150 GAN epochs")


def test_a_scratch_run_names_the_studys_numbers_and_counts_in_words():
    run = SimpleNamespace(is_study=False, study_results=lambda: COMMITTED)
    scratch = SimpleNamespace(**vars(run), folder=config.RUNS_DIR / "01_cnn_baseline" / "abc")
    small = {**COMMITTED["cnn"], "epochs": 1, "n_train": 1_000, "test_accuracy": 0.5, "history": {}}
    noted = findings.cnn(small, scratch)
    assert noted.endswith(f"*Scratch run, kept in {config.shown(scratch.folder)}/: not the study's record.*")
    cnn = {**COMMITTED["cnn"], "epochs": 1, "n_train": 1_000, "test_accuracy": 0.5, "history": {}}
    lines = check_lines(findings.cnn(cnn, run))
    study_cnn = COMMITTED["cnn"]["test_accuracy"]
    assert lines[0].startswith(
        f"The CNN reaches **0.5000 test accuracy** (1,000 images, 1 epoch), against {study_cnn:.4f} for the "
        f"study's CNN (10,000 images, 15 epochs): {0.5 - study_cnn:+.4f}"
    )
    assert "the original report's CNN (10,000 images, 15 epochs)" in lines[1] and "-0.4597" in lines[1]
    study = SimpleNamespace(is_study=True, study_results=lambda: COMMITTED)
    assert findings.cnn(COMMITTED["cnn"], study) == findings.cnn(COMMITTED["cnn"], COMMITTED)  # as the record says
    assert "Over seeds 42-44" in findings.cnn(COMMITTED["cnn"], study) and "Over seeds" not in noted  # the study's
    trial = {**COMMITTED["trial1"], "epochs": 1, "frozen_epochs": 1, "n_train": 1_000, "test_accuracy": 0.3}
    lines = check_lines(findings.trial("trial1", trial, run))
    assert (
        f"(1,000 images, 1 epoch), against {study_cnn:.4f} for the study's CNN (10,000 images, 15 epochs)" in lines[0]
    )
    assert "1 epoch with the transferred layers frozen" in lines[2] and "do not beat" not in lines[-1]
    # the same size but another parameter: still the study's CNN, named, and no claim
    same = check_lines(findings.trial("trial1", {**COMMITTED["trial1"], "test_accuracy": 0.9}, run))
    assert "for the study's CNN (same budget):" in same[0] and "one run each; not tested" in same[0]
    dcgan = check_lines(findings.dcgan({**COMMITTED["dcgan"], "epochs": 1, "n_train": 1_000}, run))
    assert dcgan[0].startswith("The DCGAN's digits (1,000 images, 1 epoch) score")
    assert f"{COMMITTED['dcgan']['classifier_score']:.2f} for the study's DCGAN (10,000 images, 50 epochs)" in dcgan[0]
    ssgan = check_lines(ext.ssgan({**COMMITTED["ssgan"], "epochs": 1, "test_accuracy": 0.5}, run))
    assert "after 1 epoch," in ssgan[0]
    assert (
        f"{COMMITTED['ssgan']['test_accuracy']:.4f} for the study's semi-supervised GAN (100 labels, 90 epochs)"
        in ssgan[1]
    )


def test_a_scratch_extension_run_is_set_beside_the_studys_headline():
    run = SimpleNamespace(is_study=False, study_results=lambda: COMMITTED)
    one = {"mean": 0.5, "std": None, "runs": 1}
    study = check_lines(ext.label_efficiency({"summary": {"cnn": {"100": one}, "ssgan": {"100": {**one, "mean": 0.9}}}},
                                             run))  # fmt: skip
    assert study[0].startswith(
        "With 100 labels the semi-supervised GAN reaches **0.9000 test accuracy** (1 seed), "
        "against 0.5000 for the CNN of the original protocol: +0.4000 (not tested: fewer than 2 seeds a side)"
    )
    ssgan = COMMITTED["label_efficiency"]["summary"]["ssgan"]["100"]["mean"]
    assert f"{ssgan:.4f} for the study's semi-supervised GAN (100 labels, 3 seeds)" in study[1]
    arms = {**FUTURE["generated_digits"]["arms"], "generated 10k": {"mean": 0.8, "std": None, "runs": 1}}
    text = check_lines(ext.generated_digits({**FUTURE["generated_digits"], "arms": arms}, run))
    generated = FUTURE["generated_digits"]["arms"]["generated 10k"]["mean"]
    assert f"{generated:.4f} for the study's CNN on 10k generated digits" in text[1]

    alone = ext.label_efficiency({"summary": {"cnn": {"100": one}, "pca_knn": {"100": {**one, "mean": 0.7}}}})
    assert alone.startswith("With 100 labels PCA + KNN has the highest mean, **0.7000 test accuracy** (1 seed); CNN")


def test_the_seed_42_order_is_tested_step_by_step_over_the_seeds():
    runs = {"cnn": (0.96, 0.961, 0.962), "trial3": (0.94, 0.941, 0.9405), "trial2": (0.936, 0.9412, 0.93)}
    seeds = {k: {"by_seed": dict(zip(("42", "43", "44"), v, strict=True))} for k, v in runs.items()}
    assert findings._order_over_seeds(seeds, ["cnn", "trial3"]).startswith(" (seeds 42-44 too: paired p ≤ ")
    assert "not every step holds" in findings._order_over_seeds(seeds, ["cnn", "trial3", "trial2"])
    assert findings._order_over_seeds({}, ["cnn", "trial3"]) == " (seed 42 alone; not tested)"


@pytest.mark.parametrize("notebook", ["07", "08", "09", "10", "11"])
def test_every_extension_finding_of_a_scratch_run_says_where_it_is_kept(notebook):
    record = {**COMMITTED, "future_work": FUTURE}
    run = SimpleNamespace(is_study=False, study_results=lambda: record, folder=config.RUNS_DIR / notebook / "abc")
    text = {
        "07": lambda: ext.ssgan(COMMITTED["ssgan"], run),
        "08": lambda: ext.label_efficiency(COMMITTED["label_efficiency"], run),
        "09": lambda: ext.longer_gan(FUTURE["longer_gan"], run),
        "10": lambda: ext.protocols(FUTURE["protocols"], run),
        "11": lambda: ext.generated_digits(FUTURE["generated_digits"], run),
    }[notebook]()
    assert text.endswith(f"*Scratch run, kept in {config.shown(run.folder)}/: not the study's record.*")
    found = text.removesuffix(f"\n\n*Scratch run, kept in {config.shown(run.folder)}/: not the study's record.*")
    assert len(found.splitlines()) <= 4 and len(committed_findings()[notebook].splitlines()) <= 4  # the headline first
