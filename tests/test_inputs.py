"""Bad arrays and arguments at the public training entry points: each is refused with a ValueError that names the
parameter (or the array) and the fix, before anything is compiled, trained or written; valid input passes as it is."""

import numpy as np
import pytest

from digitgan import checks, config, data, gan, models, training, transfer
from digitgan.extensions import constants, label_efficiency, matched_cnn, ssgan


def _tiny(n_train=20, n_other=20) -> dict:
    """Valid arrays of every split: random images in [-1, 1], labels 0-9."""
    rng = np.random.default_rng(0)

    def images(n):
        return rng.uniform(-1, 1, (n, *config.IMAGE_SHAPE)).astype("float32")

    return {
        "x_train": images(n_train), "y_train": np.arange(n_train) % 10,
        "x_val": images(n_other), "y_val": np.arange(n_other) % 10,
        "x_test": images(n_other), "y_test": np.arange(n_other) % 10,
        "x_unlabelled": images(200),
    }  # fmt: skip


def _with(key, value):
    d = _tiny()
    d[key] = value
    return d


def _nan_pixel():
    x = _tiny()["x_train"].copy()
    x[3, 14, 14, 0] = np.nan
    return x


# (what is wrong, the data, the message): each must name the array and say what to do.
BAD_DATA = [
    ("label -1", _with("y_train", np.r_[-1, np.arange(19) % 10]), r"data\['y_train'\] holds labels from -1 to 9; "
     r"they must be digits 0-9: fix or drop them"),
    ("label 10", _with("y_train", np.r_[np.arange(19) % 10, 10]), r"data\['y_train'\] holds labels from 0 to 10"),
    ("float labels", _with("y_train", (np.arange(20) % 10).astype(float)), r"data\['y_train'\] must be .* got float64"),
    ("one-hot labels", _with("y_train", data.one_hot(np.arange(20) % 10)), r"data\['y_train'\] must be a .*argmax"),
    ("a NaN pixel", _with("x_train", _nan_pixel()), r"data\['x_train'\] holds NaN or infinite values in 1 image\(s\) "
     r"\(the first: index 3\).*remove or repair"),
    ("uint8 0-255", _with("x_train", np.full((20, 28, 28, 1), 255, np.uint8)), r"data\['x_train'\] holds uint8 "
     r"values.*digitgan.data.scale_images"),
    ("float 0-255", _with("x_train", np.full((20, 28, 28, 1), 255, np.float32)), r"data\['x_train'\] holds values in "
     r"\[255, 255\], outside \[-1, 1\]: scale uint8 \(0-255\) images.*scale_images"),
    ("no channel axis", _with("x_train", np.zeros((20, 28, 28), np.float32)), r"data\['x_train'\] holds images of "
     r"shape \(28, 28\), not \(28, 28, 1\).*scale_images"),
    ("empty", {**_tiny(), "x_train": np.zeros((0, 28, 28, 1), np.float32), "y_train": np.zeros(0, int)},
     r"data\['x_train'\] is empty"),
    ("a label short", _with("y_train", np.arange(19) % 10), r"data\['y_train'\] holds 19 labels for 20 images in "
     r"data\['x_train'\]"),
    ("NaN in the test set", _with("x_test", np.full((20, 28, 28, 1), np.nan, np.float32)), r"data\['x_test'\] holds "
     "NaN"),
]  # fmt: skip
BAD_DATA_IDS = [case[0] for case in BAD_DATA]


def _unchanged(model, weights):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights, strict=True))


@pytest.fixture(scope="module")
def cnn():
    return models.build_cnn()


@pytest.mark.parametrize("what, d, message", BAD_DATA, ids=BAD_DATA_IDS)
def test_classifier_entry_points_refuse_bad_arrays(cnn, what, d, message):
    weights = cnn.get_weights()
    with pytest.raises(ValueError, match=message):
        training.train_classifier(cnn, d, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=message):
        training.fit_classifier(cnn, d, 1, verbose=0)
    with pytest.raises(ValueError, match=message):
        transfer.train_schedule(cnn, d, 0, 1, verbose=0)
    assert _unchanged(cnn, weights) and getattr(cnn, "optimizer", None) is None  # never compiled, never trained


def test_the_validation_split_is_checked_when_it_is_read(cnn):
    bad = _with("y_val", np.full(20, 10))
    with pytest.raises(ValueError, match=r"data\['y_val'\] holds labels from 10 to 10"):
        training.fit_classifier(cnn, bad, 1, verbose=0, validate="val")
    with pytest.raises(ValueError, match=r"data\['y_val'\] holds labels"):
        transfer.train_schedule(cnn, bad, 0, 1, verbose=0, validate="val")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": 1e9}, r"learning_rate must be in \(0, 1\], got 1000000000.0"),
        ({"learning_rate": 0}, r"learning_rate must be in \(0, 1\]"),
        ({"learning_rate": -0.01}, r"learning_rate must be in \(0, 1\]"),
        ({"learning_rate": float("nan")}, r"learning_rate must be in \(0, 1\]"),
        ({"learning_rate": "0.01"}, r"learning_rate must be a number in \(0, 1\], got '0.01' \(a str\)"),
        ({"epochs": 1.5}, r"epochs must be an integer, got 1.5"),
        ({"epochs": 0}, r"epochs must be in \[1, ∞\], got 0"),
    ],
)
def test_classifier_arguments_are_checked(cnn, kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.train_classifier(cnn, _tiny(), verbose=0, **{"epochs": 1, **kwargs})
    assert getattr(cnn, "optimizer", None) is None


@pytest.mark.parametrize("seed, message", [("42", r"seed must be an integer, got '42'"),
                                           (-1, r"seed must be in \[0, 4,294,967,295\].*got -1"),
                                           (2.0, r"seed must be an integer.*got 2\.0")])  # fmt: skip
def test_seeds_must_be_integers(cnn, tmp_path, seed, message):
    d = _tiny()
    with pytest.raises(ValueError, match=message):
        training.fit_classifier(cnn, d, 1, verbose=0, seed=seed)
    with pytest.raises(ValueError, match=message):
        transfer.train_schedule(cnn, d, 0, 1, verbose=0, seed=seed)
    with pytest.raises(ValueError, match=message):
        gan.train_gan(d["x_train"], epochs=1, batch_size=10, checkpoint_dir=tmp_path / "g", seed=seed, verbose=0)
    with pytest.raises(ValueError, match=message):
        ssgan.train_ssgan(d, epochs=1, checkpoint_dir=tmp_path / "s", seed=seed, verbose=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("what, d, message", BAD_DATA[:-1], ids=BAD_DATA_IDS[:-1])
def test_train_ssgan_refuses_bad_labelled_arrays(tmp_path, what, d, message):
    with pytest.raises(ValueError, match=message):
        ssgan.train_ssgan(d, epochs=1, checkpoint_dir=tmp_path / "ckpt", verbose=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"x_unlabelled": np.full((200, 28, 28, 1), np.nan, np.float32)}, r"data\['x_unlabelled'\] holds NaN"),
        ({"x_unlabelled": np.zeros((200, 28, 28, 1), np.uint8)}, r"data\['x_unlabelled'\] holds uint8.*scale_images"),
        ({"y_val": np.full(20, -1)}, r"data\['y_val'\] holds labels from -1 to -1"),
        ({"learning_rate": 1e9}, r"learning_rate must be in \(0, 1\]"),
        ({"epochs": 2.5}, r"epochs must be an integer"),
    ],
)
def test_train_ssgan_checks_the_rest(tmp_path, change, message):
    d = {**_tiny(), **{k: v for k, v in change.items() if k.startswith(("x_", "y_"))}}
    kwargs = {"epochs": 1, **{k: v for k, v in change.items() if not k.startswith(("x_", "y_"))}}
    with pytest.raises(ValueError, match=message):
        ssgan.train_ssgan(d, checkpoint_dir=tmp_path / "ckpt", verbose=0, **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "x, message",
    [
        (_nan_pixel(), r"x_train holds NaN or infinite values in 1 image\(s\)"),
        (np.full((20, 28, 28, 1), 255, np.uint8), r"x_train holds uint8 values.*scale_images"),
        (np.full((20, 28, 28, 1), 3.0, np.float32), r"x_train holds values in \[3, 3\], outside \[-1, 1\]"),
        (np.zeros((0, 28, 28, 1), np.float32), r"x_train is empty"),
    ],
)
def test_train_gan_refuses_bad_images(tmp_path, x, message):
    with pytest.raises(ValueError, match=message):
        gan.train_gan(x, epochs=1, batch_size=10, checkpoint_dir=tmp_path / "ck", frames_dir=tmp_path / "f", verbose=0)
    assert list(tmp_path.iterdir()) == []


def test_valid_input_passes_unchanged(small_data):
    """The study's own arrays pass, and the bounds themselves are valid: the checks refuse, they never alter."""
    before = {k: v.copy() for k, v in small_data.items()}
    checks.labelled(small_data, ("train", "test"))
    assert all(np.array_equal(small_data[k], v) for k, v in before.items())
    edges = np.stack([np.full((28, 28, 1), -1.0, np.float32), np.full((28, 28, 1), 1.0, np.float32)])
    checks.images("x", edges)
    checks.images("x", edges.astype(np.float64))
    checks.labels("y", np.array([0, 9], np.uint8), 2)
    assert checks.learning_rate(1) == 1.0 and checks.learning_rate(np.float32(1e-4)) == pytest.approx(1e-4)
    assert checks.seed(np.int64(2**32 - 1)) == 2**32 - 1 and checks.seed(0) == 0


# --- label_efficiency.settings: None is the default, 0 is an error -----------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ssgan_epochs": 0}, r"ssgan_epochs must be in \[1, ∞\], got 0"),
        ({"ssgan_epochs": -5}, r"ssgan_epochs must be in \[1, ∞\], got -5"),
        ({"ssgan_epochs": 2.5}, r"ssgan_epochs must be an integer"),
        ({"n_unlabelled": 0}, r"n_unlabelled must be in \[100, 60,000\], got 0"),
        ({"n_unlabelled": -100}, r"n_unlabelled must be in \[100, 60,000\], got -100"),
        ({"learning_rate": 0}, r"learning_rate must be in \(0, 1\]"),
        ({"learning_rate": -0.001}, r"learning_rate must be in \(0, 1\]"),
        ({"learning_rate": 1e9}, r"learning_rate must be in \(0, 1\]"),
    ],
)
def test_settings_never_read_zero_as_the_default(kwargs, message):
    with pytest.raises(ValueError, match=message):
        label_efficiency.settings("ssgan", 100, **kwargs)


def test_settings_none_is_the_study_default_and_values_are_kept():
    default = label_efficiency.settings("ssgan", 100)
    assert (default["epochs"], default["n_unlabelled"], default["learning_rate"]) == (
        constants.SSGAN_EPOCHS, config.N_TRAIN_FULL, ssgan.LEARNING_RATE
    )  # fmt: skip
    assert default == label_efficiency.settings("ssgan", 100, None, None, None)
    small = label_efficiency.settings("ssgan", 100, ssgan_epochs=1, n_unlabelled=100, learning_rate=0.003)
    assert (small["epochs"], small["n_unlabelled"], small["learning_rate"], small["decay_start"]) == (1, 100, 0.003, 1)
    with pytest.raises(ValueError, match=r"method must be one of \('cnn', 'trial3', 'pca_knn', 'ssgan'\)"):
        label_efficiency.settings("knn", 100)


def test_protocol_and_label_study_runs_refuse_bad_input_before_training(tmp_path):
    from digitgan.extensions import label_efficiency, protocols

    bad = {"x_train": np.zeros((4, 28, 28, 1), np.float32), "y_train": np.array([0, 1, 2, 10]),
           "x_val": np.zeros((2, 28, 28, 1), np.float32), "y_val": np.array([0, 1])}  # fmt: skip
    with pytest.raises(ValueError, match=r"data\['y_train'\] holds labels from 0 to 10"):
        protocols.train_run("cnn", bad, "adam", 0.001, 1, 42, test=False)
    good = {**bad, "y_train": np.array([0, 1, 2, 3])}
    with pytest.raises(ValueError, match="learning_rate must be in"):
        protocols.train_run("cnn", good, "adam", 1e9, 1, 42, test=False)
    with pytest.raises(ValueError, match="seed must be an integer"):
        protocols.train_run("cnn", good, "adam", 0.001, 1, "42", test=False)
    with pytest.raises(ValueError, match=r"data\['y_train'\] holds labels"):
        label_efficiency._run_pca_knn(bad, 42, label_efficiency.settings("pca_knn", 100), test=False)
    with pytest.raises(ValueError, match="seeds entry must be an integer"):
        label_efficiency.run_study((100,), ("42",), methods=["pca_knn"], cache_path=tmp_path / "s.json")
    with pytest.raises(ValueError, match="seeds entry must be an integer"):
        matched_cnn.run_matched((100,), (4.5,), store_path=tmp_path / "m.json")
    assert not (tmp_path / "s.json").exists() and not (tmp_path / "m.json").exists()
