"""The original study's numbers and the published references we compare with, stated once.

The original is a student report with its repository (a baseline CNN and a DCGAN on a seed-42 10k MNIST
subset; the README adds PCA + KNN on 1,000 images). The notebooks record these beside our numbers in
``figures/results.json``, and the README's table reads them from here.
"""

from __future__ import annotations

# Train / test accuracy after 15 epochs on the 10k subset (report §2 and §4). Trial 3's test accuracy is
# given as "about 0.94".
ACCURACY = {
    "cnn": {"train_accuracy": 0.9624, "test_accuracy": 0.9597},
    "trial1": {"train_accuracy": 0.892, "test_accuracy": 0.905},
    "trial2": {"train_accuracy": 0.91, "test_accuracy": 0.921},
    "trial3": {"train_accuracy": 0.94, "test_accuracy": 0.94},
}
APPROXIMATE = {("trial3", "test_accuracy")}

# The README's comparison on 1,000 training and 1,000 test images; its own KNN did not finish at 2,000.
SMALL = {"pca_knn": 0.90, "trial3": 0.87, "cnn": 0.80}
PCA_KNN_ALL = "did not finish at 2k"

# The semi-supervised GAN with 100 labels: the paper (Salimans et al. 2016, "Improved Techniques for
# Training GANs", 300 epochs on a GPU) and a public PyTorch port of it (100 epochs).
SSGAN_PAPER = {"test_accuracy": 0.9907, "epochs": 300, "label": "Salimans et al. 2016 (300 epochs)"}
SSGAN_PORT = {"test_accuracy": 0.985, "epochs": 100, "label": "PyTorch port (100 epochs)"}


def shown(key: str, measure: str) -> str:
    """One original number as the README prints it (``"≈0.94"`` where the report says "about")."""
    value = ACCURACY[key][measure]
    return ("≈" if (key, measure) in APPROXIMATE else "") + f"{value:g}"


def pair(key: str) -> str:
    return f"{shown(key, 'train_accuracy')} / {shown(key, 'test_accuracy')}"
