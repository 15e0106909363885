import numpy as np

from digitgan import compare, config


def test_pca_knn_selection_and_timing(small_data):
    small = compare.small_split(small_data, n_train=300, n_test=200)
    assert small["x_test"].shape == (200, 28, 28, 1)
    choice = compare.select_pca_knn(small["x_train"], small["y_train"], components=(10, 20), ks=(1, 3), folds=3)
    assert choice["n_components"] in (10, 20) and choice["k"] in (1, 3)
    result = compare.fit_predict_timed(choice["n_components"], choice["k"], **small)
    assert result["accuracy"] > 0.6  # 300 images already separate digits far better than chance
    assert result["fit_seconds"] >= 0 and result["predict_seconds"] >= 0


def test_confused_pairs_count_each_model_and_the_total():
    y_true = np.array([7, 7, 7, 9, 9, 2, 2, 2])
    predictions = {"cnn": np.array([2, 2, 7, 7, 9, 2, 7, 2]), "trial3": np.array([2, 7, 7, 7, 7, 2, 2, 2])}
    pairs = compare.confused_pairs(y_true, predictions)
    assert list(pairs.columns) == [config.NAMES["cnn"], config.NAMES["trial3"], "total"]
    assert pairs.loc[(7, 2)].tolist() == [2, 1, 3] and pairs.loc[(9, 7)].tolist() == [1, 2, 3]
    assert pairs.loc[(2, 7)].tolist() == [1, 0, 1] and pairs.index[-1] == (2, 7)  # most confused first
