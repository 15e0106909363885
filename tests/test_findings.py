"""The findings' records (what is compared with what, the difference, the verdict and its test) and the templates that
word them, on made-up numbers and on the committed results."""

import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from digitgan import compare, config, findings
from digitgan.extensions import findings as ext

COMMITTED = json.loads(config.COMMITTED_RESULTS_PATH.read_text())
FUTURE = COMMITTED.get("future_work", {})


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


def test_templates_word_a_record_in_one_line():
    one = findings.versus("test accuracy", 0.9058, "the CNN", 0.9638)
    # one run each: the difference, and no verdict word without a test
    assert findings.say(one) == "Test accuracy: 0.9058 against 0.9638 for the CNN: -0.0580 (one run each; not tested)"
    assert findings.say(one, lead=False) == "against 0.9638 for the CNN: -0.0580 (one run each; not tested)"
    close = findings.versus("x", 0.95, "y", 0.94, [0.93, 0.97], [0.95, 0.93])
    assert findings.gap(close) == "+0.0100 (95% CI -0.128 to +0.148, Welch p = 0.71): not distinguishable with 2 seeds"
    clear = findings.versus("x", 0.96, "y", 0.9133, [0.95, 0.96, 0.97], [0.90, 0.91, 0.93])
    assert findings.gap(clear).endswith(", Welch p = 0.016), above it")
    assert findings.gap(clear, tail=False).endswith(")")
    aim = ext.aim("The CNN", {"mean": 0.9488, "std": 0.0038, "runs": 3}, 0.97, where=" on real test digits")
    assert (aim.against, aim.verdict) == ("97% on real test digits", "below")
    assert findings.reach(aim) == ("The CNN does **not** reach 97% on real test digits (mean 0.9488 ± 0.0038 over 3 "
                                   "seeds)")
    assert (findings._count(1, "epoch"), findings._count(2, "epoch")) == ("1 epoch", "2 epochs")
    assert findings._count(1_500, "update") == "1,500 updates" and findings._size(1, 1) == "1 image, 1 epoch"


def test_a_trial_names_the_cnn_it_is_compared_with_and_the_original():
    study = {"test_accuracy": 0.9638, "n_train": 10_000, "epochs": 15}
    v = findings.against_cnn({"test_accuracy": 0.16, "n_train": 500, "epochs": 1}, study)
    assert v.against == "the study's CNN (10,000 images, 15 epochs; this run: 500 images, 1 epoch)"
    assert (v.value, v.reference, v.verdict) == (0.16, 0.9638, "below") and v.difference == pytest.approx(-0.8038)
    same = findings.against_cnn({**study, "test_accuracy": 0.97}, study)
    assert same.against == "the CNN trained on the same 10,000 images for 15 epochs" and same.verdict == "above"
    # a scratch run of the same size (another seed, say) is still compared with the study's CNN, by name
    assert findings.against_cnn(study, study, scratch=True).against == "the study's CNN (10,000 images, 15 epochs)"
    original = findings.against_original("trial3", 0.9417)
    assert original.reference == 0.94 and original.shown == ("0.9417", "≈0.94") and original.verdict == "above"
    assert original.against == "the original report's trial 3 (10,000 images, 15 epochs)"


def test_rankings_say_whether_the_order_is_the_originals():
    ranked = findings.rankings(COMMITTED["comparison"])
    assert ranked["full"] == ["cnn", "trial3", "trial2", "trial1"] and ranked["full_as_original"]
    assert ranked["small"] == ["pca_knn", "trial3", "cnn"] and ranked["small_as_original"]
    swapped = {**COMMITTED["comparison"], "small": {**COMMITTED["comparison"]["small"], "cnn": 0.99}}
    assert not findings.rankings(swapped)["small_as_original"]


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
    items = ext.label_efficiency_items(metrics)["counts"]
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

    from digitgan.compare import difference_from_summary

    ours = [0.9860, 0.9857, 0.9885]
    d = difference_from_summary(ours, 0.9907, 0.00065, 10)
    expected = stats.ttest_ind_from_stats(np.mean(ours), np.std(ours, ddof=1), 3, 0.9907, 0.00065, 10, equal_var=False)
    assert d["p"] == pytest.approx(expected.pvalue) and d["p"] == pytest.approx(0.040, abs=0.002)
    assert d["ci95"][0] < d["difference"] < d["ci95"][1] < 0 and d["claimed"]


def test_longer_gan_records_name_the_stage_chosen_on_validation():
    items = ext.longer_gan_items(FUTURE["longer_gan"])
    assert (items["first"], items["last"]) == (25, 200) and items["losses"]["settle"]
    at = items["labels"][10_000]
    assert at["best"] == 150 and at["versus"].verdict == "below" and at["versus"].test["test"] == "paired t-test"
    assert at["versus"].against == "the CNN (same images, 1,500 updates)"
    assert at["versus"].difference == pytest.approx(-0.0113, abs=1e-4) and at["versus"].test["p"] < 0.05


def test_protocols_records_test_each_size_and_the_modern_gap():
    items = ext.protocols_items(FUTURE["protocols"])
    assert [(v.what, v.verdict) for v in items["bigger"]["cnn"]] == [("adam", "above"), ("momentum", "above"),
                                                                      ("sgd", "above")]  # fmt: skip
    assert items["bigger"]["cnn"][0].against == "10,000 images" and items["bigger"]["cnn"][0].test["n"] == [3, 3]
    gap = items["trial3_vs_cnn"]
    assert (gap.verdict, gap.test["test"]) == ("below", "paired t-test")  # the same seeds: paired
    assert gap.difference == pytest.approx(-0.0039, abs=1e-4)
    assert items["cnn_target"].verdict == "above" and items["cnn_target"].against == "99%"


def test_generated_records_claim_only_what_the_seeds_support():
    items = ext.generated_items(FUTURE["generated_digits"])
    added = {v.what: v for v in items["added"]}
    # the arms pair by seed: +0.0020 is above the real images alone (paired p = 0.013; Welch's would be 0.071), and
    # -0.0052 with 50k generated digits is not distinguishable (paired p = 0.056; Welch's would be 0.0058)
    assert added["real + classical augmentation"].verdict == "above"
    assert added["real + classical augmentation"].test["p"] == pytest.approx(0.013, abs=0.001)
    assert added["real + 50k generated"].verdict == "not distinguishable"
    assert [v.verdict for v in items["only"]] == ["below", "below"] and not items["collapsed"]  # the plain arms
    assert [v.verdict for v in items["below_real"]] == ["below", "below"]  # under the same CNN on real digits
    same = {"mean": 0.9902, "std": 0.0001, "runs": 3, "by_seed": {"42": 0.9902, "43": 0.9903, "44": 0.9901}}
    filtered = ext.generated_items({**FUTURE["generated_digits"], "same_recipe_on_real": same})["filtered"]
    assert [v.verdict for v in filtered] == ["below", "below"] and "filtered by a classifier" in filtered[0].what
    assert "not generated digits alone" in ext.generated_digits({**FUTURE["generated_digits"],
                                                                 "same_recipe_on_real": same})  # fmt: skip


def test_ssgan_records_compare_with_the_paper_and_claim_nothing_from_one_run():
    items = ext.ssgan_items(COMMITTED["ssgan"])
    acc = COMMITTED["ssgan"]["test_accuracy"]
    assert items["paper"].difference == pytest.approx(acc - 0.9907) and items["paper"].test is None
    assert "mean of 10 seeds" in items["paper"].against and "port" not in items
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


# The headline of each notebook: its number, in bold on line 1, and the number it is compared with.
HEADLINES = {"01": ("0.9638", "0.9597"), "02": ("4.70", "9.79"), "03": ("0.9058", "0.9638"),
             "04": ("0.9362", "0.9638"), "05": ("0.9417", "0.9638"), "06": ("0.9638", "0.9417"),
             "07": ("0.9847", "0.9907"),
             "08": ("0.9867", f"{COMMITTED['label_efficiency']['cnn_matched']['summary']['100']['mean']:.4f}"),
             "09": ("0.9482", "0.9594"),
             "10": ("0.9863", "0.9902"), "11": ("0.9488", "0.9845")}  # fmt: skip
WRONG_COUNT = re.compile(r"(?<![\d,.])(1 (?:epoch|image|label|seed|update|GAN)s\b|(?!1 )\d[\d,]* (?:epoch|image|label"
                         r"|seed|update|GAN(?! epoch))\b)")  # "1 epochs", "15 epoch"; "150 GAN epochs" is right


def check_lines(text: str) -> list[str]:
    lines = text.splitlines()
    assert 1 <= len(lines) <= findings.LINES and all(len(line) <= findings.WIDTH for line in lines), text
    assert not WRONG_COUNT.search(text), WRONG_COUNT.search(text)
    assert "seed spread" not in text and "for the CNN:" not in text  # never an unnamed CNN as the reference
    return lines


@pytest.mark.parametrize("notebook", sorted(HEADLINES))
def test_each_committed_finding_is_five_short_lines_with_its_headline_first(notebook):
    lines = check_lines(committed_findings()[notebook])
    value, reference = HEADLINES[notebook]
    assert f"**{value}" in lines[0] and reference in lines[0] and lines[0].endswith(".")
    assert all(f"**{value}" not in line for line in lines[1:])  # the number stands once, in the headline


def test_a_further_trial_is_worded_without_an_original_and_names_its_fine_tuning(monkeypatch):
    monkeypatch.setitem(config.TRIALS, "trial4", ("12_trial4_dense256", {"HEAD": "dense256", "FROZEN_EPOCHS": 7}))
    monkeypatch.setitem(compare.NOTEBOOK_OF, "trial4", "12_trial4_dense256")  # both are read when imported
    trial = {**COMMITTED["trial3"], "head": "dense256", "fine_tune_optimizer": "adam", "fine_tune_learning_rate": 1e-4}
    text = findings.trial("trial4", trial, COMMITTED)
    assert text.splitlines()[0].startswith("Trial 4 (dense256) reaches **0.9417 test accuracy**")
    assert "The original report has no such trial" in text and "fine-tuned with adam at 0.0001" in text
    assert "seeds 42-44" not in text  # make claims trains the study's trials only
    table = compare.accuracy_table({**COMMITTED, "trial4": trial})
    assert np.isnan(table.loc["Trial 4 (dense256)", "test (original)"])


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
    assert lines[0].startswith("The CNN reaches **0.5000 test accuracy** after 1 epoch on 1,000 images, against 0.9638 "
                               "for the study's CNN (10,000 images, 15 epochs): -0.4638")  # fmt: skip
    assert "the original report's CNN (10,000 images, 15 epochs)" in lines[1] and "-0.4597" in lines[1]
    study = SimpleNamespace(is_study=True, study_results=lambda: COMMITTED)
    assert findings.cnn(COMMITTED["cnn"], study) == findings.cnn(COMMITTED["cnn"])  # the study's run: the original
    trial = {**COMMITTED["trial1"], "epochs": 1, "frozen_epochs": 1, "n_train": 1_000, "test_accuracy": 0.3}
    lines = check_lines(findings.trial("trial1", trial, run))
    assert "0.9638 for the study's CNN (10,000 images, 15 epochs; this run: 1,000 images, 1 epoch)" in lines[0]
    assert "1 epoch with the transferred layers frozen" in lines[2] and "do not beat" not in lines[-1]
    # the same size but another parameter: still the study's CNN, named, and no claim
    same = check_lines(findings.trial("trial1", {**COMMITTED["trial1"], "test_accuracy": 0.9}, run))
    assert "for the study's CNN (10,000 images, 15 epochs):" in same[0] and "do not beat" not in same[-1]
    dcgan = check_lines(findings.dcgan({**COMMITTED["dcgan"], "epochs": 1, "n_train": 1_000}, run))
    assert dcgan[0].startswith("After 1 epoch on 1,000 images") and "4.70 for the study's DCGAN (10,000 images, 50 " \
        "epochs)" in dcgan[0]  # fmt: skip
    ssgan = check_lines(ext.ssgan({**COMMITTED["ssgan"], "epochs": 1, "test_accuracy": 0.5}, run))
    assert "after 1 epoch," in ssgan[0]
    assert f"{COMMITTED['ssgan']['test_accuracy']:.4f} for the study's semi-supervised GAN (100 labels, 90 epochs)" \
        in ssgan[1]


def test_a_scratch_extension_run_is_set_beside_the_studys_headline():
    run = SimpleNamespace(is_study=False, study_results=lambda: COMMITTED)
    one = {"mean": 0.5, "std": None, "runs": 1}
    study = check_lines(ext.label_efficiency({"summary": {"cnn": {"100": one}, "ssgan": {"100": {**one, "mean": 0.9}}}},
                                             run))  # fmt: skip
    assert study[0].startswith("With 100 labels the semi-supervised GAN reaches **0.9000 test accuracy** (1 seed), "
                               "against 0.5000 (one run) for the CNN of the original protocol: +0.4000 (not tested")
    assert "0.9867 for the study's semi-supervised GAN (100 labels, 3 seeds)" in study[1]
    arms = {**FUTURE["generated_digits"]["arms"], "generated 10k": {"mean": 0.8, "std": None, "runs": 1}}
    text = check_lines(ext.generated_digits({**FUTURE["generated_digits"], "arms": arms}, run))
    assert "0.9488 for the study's CNN on 10k generated digits" in text[1]


def test_the_seed_42_order_is_tested_step_by_step_over_the_seeds():
    runs = {"cnn": (0.96, 0.961, 0.962), "trial3": (0.94, 0.941, 0.9405), "trial2": (0.936, 0.9412, 0.93)}
    seeds = {k: {"by_seed": dict(zip(("42", "43", "44"), v, strict=True))} for k, v in runs.items()}
    assert findings.order_over_seeds(seeds, ["cnn", "trial3"]).startswith(" (seeds 42-44 too: paired p ≤ ")
    assert "not every step holds" in findings.order_over_seeds(seeds, ["cnn", "trial3", "trial2"])
    assert findings.order_over_seeds({}, ["cnn", "trial3"]) == " (seed 42 alone; not tested)"
