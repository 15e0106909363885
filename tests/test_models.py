import numpy as np

from digitgan import models


def test_cnn_architecture():
    cnn = models.build_cnn()
    assert cnn.count_params() == 225_034
    assert cnn.output_shape == (None, 10)
    assert cnn.layers[-2].get_config()["activation"] == "linear"  # Dense(128) without activation, as the original


def test_dropout_sits_before_every_dense_layer_and_is_off_at_inference():
    cnn = models.build_cnn()
    assert models.with_dropout(cnn, 0.0) is cnn
    dropped = models.with_dropout(cnn, 0.5)
    names = [layer.name for layer in dropped.layers]
    assert [n for n in names if n.startswith("dropout")] == [f"dropout_to_{d.name}" for d in cnn.layers[-2:]]
    assert names.index(f"dropout_to_{cnn.layers[-1].name}") == len(names) - 2
    assert dropped.count_params() == cnn.count_params()  # the same weights: dropout adds none
    x = np.random.default_rng(0).normal(size=(8, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(dropped(x, training=False), cnn(x, training=False), atol=1e-6)
    assert not np.allclose(dropped(x, training=True), cnn(x, training=False), atol=1e-3)


def test_discriminator_architecture():
    disc = models.build_discriminator()
    assert disc.count_params() == 212_865
    assert disc.output_shape == (None, 1)
    last = disc.layers[-1]
    assert last.units == 1 and last.get_config()["activation"] == "linear"  # a logit
    assert [layer.rate for layer in disc.layers if hasattr(layer, "rate")] == [0.3, 0.3]


def test_generator_architecture():
    gen = models.build_generator()
    assert gen.count_params() == 2_330_944
    out = gen(np.random.normal(size=(4, 100)).astype("float32"), training=False).numpy()
    assert out.shape == (4, 28, 28, 1)
    assert out.min() >= -1 and out.max() <= 1  # tanh: the range of the scaled images


def test_judge_has_named_features():
    judge = models.build_judge()
    assert judge.get_layer("features").units == 256
    assert judge.output_shape == (None, 10)
