from digitgan import compare


def test_pca_knn_selection_and_timing(small_data):
    small = compare.small_split(small_data, n_train=300, n_test=200)
    assert small["x_test"].shape == (200, 28, 28, 1)
    choice = compare.select_pca_knn(small["x_train"], small["y_train"], components=(10, 20), ks=(1, 3), folds=3)
    assert choice["n_components"] in (10, 20) and choice["k"] in (1, 3)
    result = compare.fit_predict_timed(choice["n_components"], choice["k"], **small)
    assert result["accuracy"] > 0.6  # 300 images already separate digits far better than chance
    assert result["fit_seconds"] >= 0 and result["predict_seconds"] >= 0
