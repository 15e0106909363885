import numpy as np
import pytest

from digitgan import fileio, models, training
from digitgan.extensions import protocols


def test_validation_split_is_shared_and_outside_the_training_images(mnist_dir):
    small, full = protocols.load_data(10_000, 500, mnist_dir), protocols.load_data(60_000, 500, mnist_dir)
    np.testing.assert_array_equal(small["x_val"], full["x_val"])
    assert len(small["y_train"]) == 10_000 and len(full["y_train"]) == 59_500
    seen = {x.tobytes() for x in full["x_train"][::50]}
    assert not any(x.tobytes() in seen for x in full["x_val"])


@pytest.fixture
def small(mnist_dir, monkeypatch):
    """10's splits cut to 300 training, 200 validation and 200 test images: what every study here loads."""
    d = protocols.load_data(300, 200, mnist_dir)
    d |= {"x_test": d["x_test"][:200], "y_test": d["y_test"][:200]}
    monkeypatch.setattr(protocols, "load_data", lambda *args, **kwargs: d)
    monkeypatch.setattr(protocols, "PROTOCOL_VAL", 200)
    return d


def test_learning_rate_is_chosen_on_validation_and_runs_are_cached(small, tmp_path, monkeypatch):
    disc = fileio.save_weights(models.build_discriminator(), tmp_path / "discriminator.weights.h5")
    study = protocols.Study(300, tmp_path, discriminator_path=disc)
    rate, tried = protocols.choose_learning_rate(study, "cnn", "adam", (1e-5, 3e-3), epochs=1)
    assert "test_accuracy" not in tried[0] and rate == (1e-5, 3e-3)[int(np.argmax([t["val_accuracy"] for t in tried]))]
    trained = protocols.train_run

    def no_training(*args, **kwargs):
        raise AssertionError("the chosen candidate was trained again")

    monkeypatch.setattr(protocols, "train_run", no_training)
    chosen = study.run("cnn", "adam", rate, 1, 42)  # the candidate is seed 42's final run: tested, not retrained
    candidate = tried[(1e-5, 3e-3).index(rate)]
    assert 0 <= chosen["test_accuracy"] <= 1 and chosen["val_accuracy"] == candidate["val_accuracy"]
    model, _ = protocols.build_model("cnn", False, 42)
    fileio.load_weights(model, study.weights_path(study.inputs("cnn", "adam", rate, 1, 42, False)), "")
    assert training.accuracy(model, study.data["x_test"], study.data["y_test"]) == chosen["test_accuracy"]
    monkeypatch.setattr(protocols, "train_run", trained)
    final = study.run("trial3", "momentum", 0.01, 2, 43, augment=True)  # frozen for one epoch, then fine-tuned
    assert 0 <= final["test_accuracy"] <= 1 and final["kept_epoch"] in (1, 2) and len(final["val_curve"]) == 2
    again = protocols.Study(300, tmp_path, discriminator_path=disc).run("trial3", "momentum", 0.01, 2, 43, augment=True)
    assert again == final  # read from the cache, not trained again
    with pytest.raises(ValueError, match="optimizer"):
        protocols.train_run("cnn", study.data, "rmsprop", 0.01, 1, 42)


def test_augmented_trial3_freezes_only_the_transferred_layers(tmp_path):
    from digitgan import transfer

    disc = fileio.save_weights(models.build_discriminator(), tmp_path / "d.weights.h5")
    model, core = protocols.build_model("trial3", True, 42, disc)
    transfer.set_transferred_trainable(core, False)
    trainable = {w.path.split("/")[-2] for w in model.trainable_weights}
    assert trainable and all(name.startswith(transfer.HEAD_PREFIX) for name in trainable)


def test_findings_compare_data_sizes_and_flag_a_rate_at_the_top_of_its_grid():
    import pandas as pd

    from digitgan.extensions import findings

    rows = []
    for n, accs in ((10_000, (0.97, 0.971, 0.972)), (60_000, (0.99, 0.991, 0.992))):
        for seed, acc in zip((42, 43, 44), accs, strict=True):
            rows.append({"model": "cnn", "n_train": n, "optimizer": "sgd", "augment": False, "learning_rate": 0.1,
                         "seed": seed, "test_accuracy": acc, "kept_epoch": 15})  # fmt: skip
    modern = pd.DataFrame([{**r, "n_train": 10_000, "optimizer": "adam", "augment": True, "learning_rate": 0.001}
                           for r in rows[:3]])  # fmt: skip
    tried = pd.DataFrame({"model": ["cnn", "cnn"], "learning_rate": [0.001, 0.003], "val_accuracy": [0.99, 0.98]})
    results = protocols.to_results(pd.DataFrame(rows), modern, {"sgd": [0.01, 0.03, 0.1]}, tried)
    assert {c["protocol"]: c["learning_rates_tried"] for c in results["runs"]} == {
        "original": [0.01, 0.03, 0.1], "modern": [0.001, 0.003]}  # fmt: skip
    text = findings.protocols(results)
    assert "From 10,000 to 60,000 images (same epochs, so more updates): CNN sgd +0.0200 (3 seeds, paired p = " in text
    assert "larger learning rates for CNN sgd (original) 0.1 (each" in text and "(modern) 0.001" not in text


def test_a_recipe_is_checked_and_every_input_enters_the_store_key(tmp_path):
    import keras

    from digitgan.store import key

    study = protocols.Study(300, tmp_path)
    base = key(study.inputs("cnn", "adam", 0.001, 2, 42, True))
    assert key(study.inputs("cnn", "adam", 0.001, 2, 42, True, **protocols.RECIPE_DEFAULTS)) == base
    assert key(study.inputs("cnn", "adam", 0.001, 2, 42, True, label_smoothing=0.1)) != base
    with pytest.raises(ValueError, match="recipe 0 must hold learning_rate, epochs"):
        protocols.recipe_settings({"learning_rate": 0.001}, "recipe 0")
    assert key(study.inputs("cnn", "adam", 0.001, 2, 42, True, dropout=0.5)) != base
    generated = protocols.Study(300, tmp_path, tag="generated", inputs={"digits": "abc"})
    assert key(generated.inputs("cnn", "adam", 0.001, 2, 42, True)) != base
    # trial 3's runs name the discriminator they start from: a retrained GAN's is another run
    path = fileio.save_weights(models.build_discriminator(), tmp_path / "d.weights.h5")
    first = key(protocols.Study(300, tmp_path, discriminator_path=path).inputs("trial3", "adam", 0.001, 2, 42))
    keras.utils.set_random_seed(1)
    fileio.save_weights(models.build_discriminator(), path)
    assert key(protocols.Study(300, tmp_path, discriminator_path=path).inputs("trial3", "adam", 0.001, 2, 42)) != first
    with pytest.raises(ValueError, match="momentum"):
        protocols.recipe_settings({"learning_rate": 0.001, "epochs": 2, "momentum": 0.9})
    with pytest.raises(ValueError, match="recipe epochs"):
        protocols.recipe_settings({"learning_rate": 0.001, "epochs": 0})
    assert isinstance(protocols._optimizer("adam", 1e-3, 10, weight_decay=0.01), keras.optimizers.AdamW)
    with pytest.raises(ValueError, match="weight_decay is only used with optimizer 'adam'"):
        protocols._optimizer("sgd", 1e-3, 10, weight_decay=0.01)
    assert protocols._augmentation(42, 0.2).layers[0].height_factor == 0.2


def test_the_modern_recipe_is_chosen_on_validation_and_its_candidate_is_seed_42s_run(small, tmp_path, monkeypatch):
    import pandas as pd

    recipes = [{"learning_rate": 1e-6, "epochs": 1}, {"learning_rate": 3e-3, "epochs": 1, "label_smoothing": 0.1,
                                                      "batch_size": 50, "dropout": 0.5}]  # fmt: skip
    dropouts, with_dropout = [], protocols.with_dropout
    monkeypatch.setattr(
        protocols, "with_dropout", lambda model, rate: dropouts.append(rate) or with_dropout(model, rate)
    )
    study = protocols.Study(300, tmp_path)
    chosen, table = protocols._choose_recipe(study, "cnn", recipes)
    assert dropouts == [0.0, 0.5]  # each recipe's dropout reaches its model
    assert list(table["learning_rate"]) == [1e-6, 3e-3] and list(table["batch_size"]) == [100, 50]
    assert list(table["dropout"]) == [0.0, 0.5]
    assert chosen == protocols.recipe_settings(recipes[int(table["val_accuracy"].to_numpy().argmax())])
    assert all("test_accuracy" not in r["result"] for r in study.store.records().values())

    def no_training(*args, **kwargs):
        raise AssertionError("the chosen candidate was trained again")

    monkeypatch.setattr(protocols, "train_run", no_training)
    runs, candidates = protocols.run_modern(["cnn"], [42], recipes, tmp_path, 300)
    assert runs["recipe"].iloc[0] == chosen and 0 <= runs["test_accuracy"].iloc[0] <= 1
    explored = protocols.explore_recipes(recipes[1:], tmp_path, 300)  # cached: not trained again
    assert list(explored["val_accuracy"]) == list(table["val_accuracy"])[1:]
    assert protocols.explore_recipes([], tmp_path, 300).empty
    results = protocols.to_results(pd.DataFrame(columns=runs.columns), runs, candidates=candidates, explored=explored)
    assert results["runs"][0]["recipe"] == chosen and results["runs"][0]["learning_rates_tried"] == [1e-6, 3e-3]
    assert [c["val_accuracy"] for c in results["modern_candidates"]] == list(table["val_accuracy"])
    from digitgan.extensions import findings

    assert findings.protocols(results).startswith("The best cell reaches **")  # no trial 3: no comparison


def test_findings_say_when_a_chosen_recipe_is_the_longest_tried_and_kept_near_its_end():
    import pandas as pd

    from digitgan.extensions import findings

    def rows(model, kept):
        return [{"model": model, "n_train": 10_000, "optimizer": "adam", "augment": True, "learning_rate": 0.001,
                 "seed": s, "test_accuracy": 0.98, "kept_epoch": e, "recipe": {"learning_rate": 0.001, "epochs": 10}}
                for s, e in zip((42, 43, 44), kept, strict=True)]  # fmt: skip

    modern = pd.DataFrame(rows("cnn", (3, 4, 9)) + rows("trial3", (9, 10, 10)))
    tried = pd.DataFrame({"model": ["cnn", "cnn"], "learning_rate": [0.001] * 2, "epochs": [5, 10],
                          "val_accuracy": [0.9, 0.95]})  # fmt: skip
    text = findings.protocols(protocols.to_results(pd.DataFrame(columns=modern.columns), modern, candidates=tried))
    assert "a recipe longer than 10 epochs for trial 3 (kept epochs 9/10/10)." in text
    assert "CNN (kept" not in text  # one of its kept epochs is early


def test_a_kept_run_finds_its_record_when_only_its_generated_digits_differ(tmp_path):
    from types import SimpleNamespace

    from digitgan.extensions import kept
    from digitgan.store import Store

    study = SimpleNamespace(store=Store(tmp_path / "runs.json"))
    inputs = {"data": "cdcgan-ms0.5: generated 10k", "seed": 42, "digits": "drawn-elsewhere"}
    assert kept._recorded(study, inputs) is None
    study.store.put(inputs, {"test_accuracy": 0.95})
    assert kept._recorded(study, {**inputs, "digits": "drawn-here"})["test_accuracy"] == 0.95
    assert kept._recorded(study, {**inputs, "digits": "drawn-here", "seed": 43}) is None
