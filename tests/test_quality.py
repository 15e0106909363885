import numpy as np

from digitgan import quality


def test_classifier_score_bounds():
    confident_balanced = np.eye(10)[np.arange(1000) % 10]
    assert np.isclose(quality.classifier_score(confident_balanced), 10, atol=1e-6)
    one_class = np.eye(10)[np.zeros(1000, dtype=int)]
    assert np.isclose(quality.classifier_score(one_class), 1, atol=1e-6)
    uniform = np.full((100, 10), 0.1)
    assert np.isclose(quality.classifier_score(uniform), 1, atol=1e-6)


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5000, 8))
    assert abs(quality.frechet_distance(a, a)) < 1e-6
    shifted = a + 2.0
    assert np.isclose(quality.frechet_distance(a, shifted), 8 * 4.0, rtol=1e-6)
    wider = a * 3.0  # trace term: 8 * (1 + 9 - 2 * 3) = 32
    assert np.isclose(quality.frechet_distance(a, wider), 32.0, rtol=0.05)
