import numpy as np
import pytest

from digitgan.extensions import findings, generated, protocols, verdicts
from digitgan.store import STORE_FILE


@pytest.fixture(scope="module")
def real(mnist_dir):
    return protocols.load_data(300, 200, mnist_dir)


def test_arms_keep_real_validation_and_test_images(real):
    x_gen = np.zeros((60_000, 28, 28, 1), "float32")
    y_gen = np.arange(60_000) % 10
    only = generated.arm_data("generated 10k", real, x_gen, y_gen)
    assert len(only["x_train"]) == 10_000 and only["x_val"] is real["x_val"] and only["x_test"] is real["x_test"]
    mixed = generated.arm_data("real + 50k generated", real, x_gen, y_gen)
    assert len(mixed["x_train"]) == 300 + 50_000 and np.array_equal(mixed["x_train"][:300], real["x_train"])
    assert generated.arm_data("real + classical augmentation", real, x_gen, y_gen) is real
    with pytest.raises(ValueError, match="needs 60,000 generated digits"):
        generated.arm_data("generated 60k", real, x_gen[:100], y_gen[:100])


def _scripted_training(monkeypatch, val_accuracies=None):
    """``protocols.train_run`` replaced by a stand-in that records each call (the CNN's training is tested in
    test_protocols): the validation accuracy from ``val_accuracies`` in turn (else 0.5), no weights saved."""
    calls, scores = [], iter(val_accuracies or [])

    def train_run(model, data, optimizer, rate, epochs, seed, augment=False, test=True, **kwargs):
        calls.append({"data": data, "rate": rate, "seed": seed, "augment": augment, "test": test})
        out = {"val_accuracy": next(scores, 0.5), "kept_epoch": 1, "seconds": 0.0}
        return {**out, "test_accuracy": 0.5} if test else out

    monkeypatch.setattr(protocols, "train_run", train_run)
    return calls


def test_every_arm_gets_every_seed_with_one_learning_rate(real, tmp_path, monkeypatch):
    x_gen = np.random.default_rng(0).uniform(-1, 1, (400, 28, 28, 1)).astype("float32")
    y_gen = np.arange(400) % 10
    arms = ("real", "real + classical augmentation", "generated 10k")
    full_size = generated.arm_data

    def small(arm, real_, x, y):  # 10,000 generated digits would be slow here: the arm reads the 400 drawn
        if arm == "generated 10k":
            return {**real_, "x_train": x, "y_train": y}
        return full_size(arm, real_, x, y)

    monkeypatch.setattr(generated, "arm_data", small)
    calls = _scripted_training(monkeypatch, [0.5, 0.7])
    runs, rate = generated.run_arms(real, x_gen, y_gen, arms, (42, 43), 1, (1e-3, 3e-3), tmp_path)
    assert rate == 3e-3 and len(runs) == 6 and set(runs["learning_rate"]) == {3e-3}  # the better validation
    assert [c["rate"] for c in calls[:2]] == [1e-3, 3e-3] and not calls[0]["test"]
    table = generated.arm_table(runs)
    assert list(table.index) == list(arms) and set(table["runs"]) == {2}
    assert set(runs.loc[runs["arm"] == "generated 10k", "data"]) == {"cdcgan: generated 10k"}
    assert runs.loc[runs["arm"] == "real + classical augmentation", "augment"].all()
    assert calls[-1]["data"]["x_train"] is x_gen and [c["seed"] for c in calls[-4:]] == [42, 43, 42, 43]


def test_within_class_spread_is_zero_for_one_style_per_digit_and_reads_findings():

    rng = np.random.default_rng(0)
    labels = np.arange(200) % 10
    one_style = rng.uniform(-1, 1, (10, 28, 28, 1))[labels]  # every image of a digit alike
    varied = rng.uniform(-1, 1, (200, 28, 28, 1))
    assert generated.within_class_spread(one_style, labels) < 1e-6
    assert abs(generated.within_class_spread(varied, labels) - 2 / 12**0.5) < 0.02  # uniform on [-1, 1]: std 0.577
    cell = {"mean": 0.6, "std": 0.03, "runs": 3}
    results = {"classifier_score": 8.0, "frechet_distance": 60.0, "arms": {"generated 10k": cell},
               "judge_accuracy_on_generated": {"overall": 0.9, **{str(d): 0.9 for d in range(10)}}}  # fmt: skip
    collapsed = findings.generated_digits({**results, "within_class_spread": {"generated": 0.12, "real": 0.31}})
    assert "mode collapse within each class" in collapsed and "0.120 against 0.310" in collapsed
    fine = findings.generated_digits({**results, "within_class_spread": {"generated": 0.29, "real": 0.31}})
    assert "about as much as real ones" in fine and "mode collapse" not in fine
    assert "judge reads 90.0% of the generated digits as the digit asked for (the 0s least often: 90.0%)" in fine
    assert "Our aim of 97% is **not** reached by 10k (0.6000)." in fine


def test_arms_are_told_in_the_study_order_whatever_the_keys_order():

    cell = {"mean": 0.98, "std": 0.001, "runs": 3}
    shuffled = {"generated 10k": cell, "real + classical augmentation": cell, "real": cell}
    assert list(verdicts.ordered_arms(shuffled)) == ["real", "real + classical augmentation", "generated 10k"]


def test_mode_seeking_weight_is_chosen_on_validation_and_finished_probes_are_kept(real, tmp_path, monkeypatch):
    from types import SimpleNamespace

    from digitgan.extensions import conditional

    trained = []

    def train_conditional(x, y, epochs, state, seed, mode_seeking):  # its training is tested in test_conditional
        trained.append((mode_seeking, state.name))
        return SimpleNamespace(generator=conditional.build_conditional_generator()), {"epoch_seconds": [1.0]}

    monkeypatch.setattr(conditional, "train_conditional", train_conditional)
    _scripted_training(monkeypatch, [0.3, 0.6])
    weight, probes = generated.choose_mode_seeking(real, tmp_path, 1e-3, (0.0, 1.0), 1, 1, 300)
    assert trained == [(0.0, "probe_conditional_dcgan"), (1.0, "probe_conditional_dcgan_ms1")]
    assert weight == 1.0 and list(probes["mode_seeking"]) == [0.0, 1.0] and list(probes["val_accuracy"]) == [0.3, 0.6]
    assert (probes["within_class_spread"] > 0).all() and (tmp_path / STORE_FILE).is_file()

    def no_training(*args, **kwargs):
        raise AssertionError("a finished probe was trained again")

    monkeypatch.setattr(conditional, "train_conditional", no_training)
    again, table = generated.choose_mode_seeking(real, tmp_path, 1e-3, (0.0, 1.0), 1, 1, 300)
    assert again == weight and table.equals(probes)


def test_sample_probes_score_on_validation_keep_the_discriminators_best_and_are_cached(
    real, tmp_path, capsys, monkeypatch
):
    from digitgan.extensions import conditional

    model = conditional.build_conditional_dcgan()
    calls = _scripted_training(monkeypatch)
    probes = [{"name": "as drawn"}, {"name": "best half", "keep": 0.5}, {"name": "smooth", "label_smoothing": 0.1}]
    table = generated.probe_samples(real, model.generator, tmp_path, 1e-3, probes, model.discriminator, n=100,
                                    cnn_epochs=1)  # fmt: skip
    assert list(table["probe"]) == ["as drawn", "best half", "smooth"] and table["val_accuracy"].between(0, 1).all()
    assert list(table["keep"]) == [1.0, 0.5, 1.0] and "test_accuracy" not in table
    assert [len(c["data"]["y_train"]) for c in calls] == [100] * 3 and not any(c["test"] for c in calls)
    capsys.readouterr()
    again = generated.probe_samples(real, model.generator, tmp_path, 1e-3, probes, None, n=100, cnn_epochs=1)
    assert again.equals(table) and capsys.readouterr().out == ""  # cached: no discriminator needed, nothing trained
    with pytest.raises(ValueError, match="discriminator's best digits, but the conditional DCGAN's training state"):
        generated.probe_samples(real, model.generator, tmp_path, 1e-3, [{"name": "q", "keep": 0.25}], None, n=100)
    with pytest.raises(ValueError, match="probe 0 needs a name"):
        generated.probe_samples(real, model.generator, tmp_path, 1e-3, [{"keep": 0.5}], None, n=100)


def test_a_probe_can_train_with_one_of_10s_recipes_and_every_probe_is_checked_first(real, tmp_path, monkeypatch):
    from digitgan.extensions import conditional, protocols

    generator = conditional.build_conditional_dcgan().generator
    recipe = {"learning_rate": 1e-3, "epochs": 1, "dropout": 0.25}
    calls = []
    train_run = protocols.train_run
    monkeypatch.setattr(protocols, "train_run", lambda *a, **k: calls.append((a, k)) or train_run(*a, **k))
    table = generated.probe_samples(real, generator, tmp_path, 1e-3, [{"name": "d", "recipe": recipe}], n=100)
    ((args, kwargs),) = calls
    assert args[3:5] == (1e-3, 1) and kwargs["augment"] and kwargs["dropout"] == 0.25
    assert table["recipe"].iloc[0] == recipe and 0 <= table["val_accuracy"].iloc[0] <= 1
    for bad, message in (({"name": "b", "recipe": {"epochs": 1}}, "probe 1 recipe must hold"),
                         ({"name": "b", "recipe": recipe, "modern": True}, "gives a recipe")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            generated.probe_samples(real, generator, tmp_path / "bad", 1e-3, [{"name": "ok"}, bad], n=100)
        assert not (tmp_path / "bad").exists()  # refused before the first probe trained
    assert len(calls) == 1


def test_the_agreement_probe_keeps_the_digits_a_real_trained_cnn_reads_as_asked(real, tmp_path, monkeypatch):
    from digitgan.extensions import conditional

    generator = conditional.build_conditional_dcgan().generator
    seen = {}

    def agreement(real_, x, y, learning_rate, epochs, seed):
        seen["n"], brightness = len(y), x.mean(axis=(1, 2, 3))
        seen["threshold"] = np.quantile(brightness, 0.1)
        return brightness > seen["threshold"]  # "agrees" with 90% of the drawn digits

    def train_run(model, data, *args, **kwargs):
        seen["x"], seen["labels"] = data["x_train"], data["y_train"]
        return {"val_accuracy": 0.5, "kept_epoch": 1, "seconds": 0.0}

    monkeypatch.setattr(generated, "_real_agreement", agreement)
    monkeypatch.setattr(generated.protocols, "train_run", train_run)
    table = generated.probe_samples(real, generator, tmp_path, 1e-3, [{"name": "a", "agree_with_real": True}], n=100)
    assert seen["n"] == 100 * generated.AGREE_DRAW and len(seen["labels"]) == 100
    assert np.bincount(seen["labels"], minlength=10).tolist() == [10] * 10  # balanced
    assert (seen["x"].mean(axis=(1, 2, 3)) > seen["threshold"]).all()  # only digits it agrees with
    assert table["agreement"].iloc[0] == 0.9 and table["agree_with_real"].iloc[0]
    assert 0.5 <= table["agreement_worst_digit"].iloc[0] <= 0.9
    with pytest.raises(ValueError, match="not both"):
        generated.probe_samples(real, generator, tmp_path, 1e-3, [{"name": "b", "agree_with_real": True, "keep": 0.5}])


def test_best_per_digit_keeps_each_digits_highest_scores():
    labels = np.arange(40) % 10
    score = np.arange(40, dtype=float)  # within a digit, later images score higher
    kept = generated._best_per_digit(score, labels, 20)
    assert sorted(kept) == list(range(20, 40)) and np.bincount(labels[kept]).tolist() == [2] * 10


def test_the_best_usable_probe_is_run_as_arms_with_equal_updates(real, tmp_path, monkeypatch):
    import pandas as pd

    from digitgan.extensions import conditional

    generator = conditional.build_conditional_dcgan().generator
    calls = _scripted_training(monkeypatch)
    probes = [{"name": "as drawn"}, {"name": "best half", "keep": 0.5}]
    samples = pd.DataFrame({"probe": ["as drawn", "best half"], "val_accuracy": [0.5, 0.9]})
    runs = generated.run_best_probe_arms(real, generator, samples, probes, 1e-3, 2, (300, 600), [42], tmp_path)
    assert list(runs["arm"]) == ["generated 300 (as drawn)", "generated 600 (as drawn)"]  # best half needs the D
    assert list(runs["n_train"]) == [300, 600] and list(runs["epochs"]) == [2, 1]  # the same number of updates
    assert runs["test_accuracy"].between(0, 1).all() and [len(c["data"]["x_train"]) for c in calls] == [300, 600]

    def no_drawing(*args, **kwargs):
        raise AssertionError("digits were drawn although every run is cached")

    monkeypatch.setattr(conditional, "generate_labelled", no_drawing)
    again = generated.run_best_probe_arms(real, generator, samples, probes, 1e-3, 2, (300, 600), [42], tmp_path)
    assert again[["arm", "test_accuracy"]].equals(runs[["arm", "test_accuracy"]])
    with pytest.raises(ValueError, match="every probe keeps the discriminator's best digits"):
        generated.run_best_probe_arms(real, generator, samples[1:], probes, 1e-3, 2, (300,), [42], tmp_path)
