"""The findings' records (what is compared with what, the difference, the verdict and its test) and the templates that
word them, on made-up numbers and on the committed results."""

import json

import pytest
from scipy import stats

from digitgan import config, findings
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
    assert findings.say(one) == "Test accuracy: 0.9058 against 0.9638 for the CNN: -0.0580 (one run each), below it"
    assert findings.say(one, lead=False) == "against 0.9638 for the CNN: -0.0580 (one run each), below it"
    close = findings.versus("x", 0.95, "y", 0.94, [0.93, 0.97], [0.95, 0.93])
    assert findings.gap(close).endswith("Welch t-test p = 0.71): not distinguishable with 2 seeds")
    aim = ext.aim("The CNN", {"mean": 0.9488, "std": 0.0038, "runs": 3}, 0.97, where=" on real test digits")
    assert (aim.against, aim.verdict) == ("97% on real test digits", "below")
    assert findings.reach(aim) == "The CNN does **not** reach 97% on real test digits (0.9488 ± 0.0038 (n = 3))"
    assert (findings._count(1, "epoch"), findings._count(2, "epoch")) == ("1 epoch", "2 epochs")


def test_a_trial_names_the_cnn_it_is_compared_with_and_the_original():
    scratch = {"test_accuracy": 0.16, "n_train": 500, "epochs": 1}
    v = findings.against_cnn(scratch, {"test_accuracy": 0.9638, "n_train": 10_000, "epochs": 15})
    assert v.against == "the study's CNN (10,000 images, 15 epochs; this run: 500 images, 1 epoch)"
    assert (v.value, v.reference, v.verdict) == (0.16, 0.9638, "below") and v.difference == pytest.approx(-0.8038)
    full = {"n_train": 10_000, "epochs": 15}
    same = findings.against_cnn({**scratch, **full}, {"test_accuracy": 0.1, **full})
    assert same.against == "the CNN trained on the same images for the same number of epochs"
    assert same.verdict == "above"
    original = findings.against_original("trial3", 0.9417)
    assert original.reference == 0.94 and original.shown == ("0.9417", "≈0.94") and original.verdict == "above"


def test_rankings_say_whether_the_order_is_the_originals():
    ranked = findings.rankings(COMMITTED["comparison"])
    assert ranked["full"] == ["cnn", "trial3", "trial2", "trial1"] and ranked["full_as_original"]
    assert ranked["small"] == ["pca_knn", "trial3", "cnn"] and ranked["small_as_original"]
    swapped = {**COMMITTED["comparison"], "small": {**COMMITTED["comparison"]["small"], "cnn": 0.99}}
    assert not findings.rankings(swapped)["small_as_original"]


def test_label_efficiency_records_pair_the_seeds_of_each_label_count():
    items = ext.label_efficiency_items(COMMITTED["label_efficiency"])
    at = items["counts"][10_000]
    assert [m for m, _ in at["ranked"]] == ["ssgan", "cnn", "pca_knn", "trial3"]
    lead, trial3 = at["tests"]
    assert (lead.what, lead.against, lead.verdict) == ("semi-supervised GAN", "CNN (original protocol)", "above")
    assert lead.test["test"] == "paired t-test" and lead.test["n"] == [3, 3] and lead.test["p"] < 0.05
    assert (trial3.what, trial3.verdict) == ("trial 3", "below")
    assert trial3.difference == pytest.approx(-0.0205, abs=1e-4)
    assert items["ssgan_target"].verdict == "above"


def test_longer_gan_records_name_the_stage_chosen_on_validation():
    items = ext.longer_gan_items(FUTURE["longer_gan"])
    assert (items["first"], items["last"]) == (25, 200) and items["losses"]["settle"]
    at = items["labels"][10_000]
    assert at["best"] == 150 and at["versus"].verdict == "below" and at["versus"].test["test"] == "paired t-test"
    assert at["versus"].difference == pytest.approx(-0.0113, abs=1e-4) and at["versus"].test["p"] < 0.05


def test_protocols_records_test_each_size_and_the_modern_gap():
    items = ext.protocols_items(FUTURE["protocols"])
    assert [(v.what, v.verdict) for v in items["bigger"]["cnn"]] == [("adam", "above"), ("momentum", "above"),
                                                                      ("sgd", "above")]  # fmt: skip
    assert items["bigger"]["cnn"][0].against == "10,000 images" and items["bigger"]["cnn"][0].test["n"] == [3, 3]
    gap = items["trial3_vs_cnn"]
    assert (gap.verdict, gap.test["test"]) == ("below", "Welch t-test")
    assert gap.difference == pytest.approx(-0.0039, abs=1e-4)
    assert items["cnn_target"].verdict == "above" and items["cnn_target"].against == "99%"


def test_generated_records_claim_only_what_the_seeds_support():
    items = ext.generated_items(FUTURE["generated_digits"])
    added = {v.what: v for v in items["added"]}
    # +0.0020 with spreads that do not overlap at ±1 SD, yet p = 0.07 with 3 seeds: no claim
    assert added["real + classical augmentation"].verdict == "not distinguishable"
    assert added["real + classical augmentation"].test["p"] == pytest.approx(0.071, abs=0.001)
    assert added["real + 50k generated"].verdict == "below"
    assert [v.verdict for v in items["only"]] == ["below", "below"] and not items["collapsed"]  # the plain arms
    assert [v.verdict for v in items["below_real"]] == ["below", "below"]  # under the same CNN on real digits
    same = {"mean": 0.9902, "std": 0.0001, "runs": 3, "by_seed": {"42": 0.9902, "43": 0.9903, "44": 0.9901}}
    filtered = ext.generated_items({**FUTURE["generated_digits"], "same_recipe_on_real": same})["filtered"]
    assert [v.verdict for v in filtered] == ["below", "below"] and "filtered by a classifier" in filtered[0].what
    assert "not generated digits alone" in ext.generated_digits({**FUTURE["generated_digits"],
                                                                 "same_recipe_on_real": same})  # fmt: skip


def test_ssgan_records_compare_with_the_paper_and_the_port():
    items = ext.ssgan_items(COMMITTED["ssgan"])
    acc = COMMITTED["ssgan"]["test_accuracy"]
    assert items["paper"].difference == pytest.approx(acc - 0.9907) and items["paper"].verdict == "below"
    assert items["port"].shown == (f"{acc:.4f}", "98.5%")


def test_committed_findings_are_short_and_claim_no_difference_by_the_seed_spread():
    r = COMMITTED
    texts = [findings.cnn(r["cnn"]), findings.dcgan(r["dcgan"]), findings.comparison(r["comparison"]),
             *(findings.trial(k, r[k], r) for k in config.TRIALS), ext.ssgan(r["ssgan"]),
             ext.label_efficiency(r["label_efficiency"]), ext.longer_gan(FUTURE["longer_gan"]),
             ext.protocols(FUTURE["protocols"]), ext.generated_digits(FUTURE["generated_digits"])]  # fmt: skip
    for text in texts:
        assert len(text.splitlines()) <= 5 and "seed spread" not in text
