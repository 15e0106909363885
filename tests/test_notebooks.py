"""Every notebook runs headless with small parameters (papermill): the slow end-to-end tests (``make test-all``).

A new notebook joins with one line in NOTEBOOKS: its name, small parameters, the figures it must
save and its key in results.json, and with its prerequisites in REQUIRES (03-05 load the discriminator
exported by 02): a test runs what it needs first, once per session, so any one test or any order works.
All of it inside the session's scratch folders (see conftest.py).
"""

import json

import pytest

from digitgan import config, fileio, runs
from digitgan.tools.run_notebooks import EXTENSIONS, FUTURE, STUDY, execute

SMALL = {"SUBSET_SIZE": 300}
# fmt: off  (one line per notebook)
NOTEBOOKS = [
    ("01_cnn_baseline.ipynb", {**SMALL, "EPOCHS": 1}, ["cnn_accuracy", "cnn_confusion_matrix"], "cnn"),
    (
        "02_dcgan.ipynb",
        {
            "EPOCHS": 2,
            "SUBSET_SIZE": 200,
            "CHECKPOINT_EVERY": 1,
            "SCORE_EVERY": 1,
            "SCORE_SAMPLES": 200,
            "N_EVAL_SAMPLES": 500,
            "JUDGE_N_TRAIN": 1000,
            "JUDGE_EPOCHS": 1,
        },
        ["dcgan_evolution", "dcgan_losses", "dcgan_samples_100", "dcgan_class_histogram"],
        "dcgan",
    ),  # noqa: E501
    (
        "03_trial1_frozen.ipynb",
        {**SMALL, "FROZEN_EPOCHS": 1, "TOTAL_EPOCHS": 1},
        ["trial1_accuracy", "trial1_confusion_matrix"],
        "trial1",
    ),  # noqa: E501
    (
        "04_trial2_finetune.ipynb",
        {**SMALL, "FROZEN_EPOCHS": 1, "TOTAL_EPOCHS": 2},
        ["trial2_accuracy", "trial2_confusion_matrix"],
        "trial2",
    ),  # noqa: E501
    (
        "05_trial3_dense128.ipynb",
        {**SMALL, "FROZEN_EPOCHS": 1, "TOTAL_EPOCHS": 2},
        ["trial3_accuracy", "trial3_confusion_matrix"],
        "trial3",
    ),  # noqa: E501
    (
        "06_comparison.ipynb",
        {
            **SMALL,
            "SMALL_N_TRAIN": 300,
            "SMALL_N_TEST": 200,
            "SMALL_EPOCHS": 2,
            "PCA_COMPONENTS": [10, 20],
            "KNN_KS": [1, 3],
            "CV_FOLDS": 3,
            "RUN_FULL_PCA_KNN": False,
        },
        ["comparison_confusion_matrices", "trial3_misclassified"],
        "comparison",
    ),  # noqa: E501
    (
        "07_semi_supervised_gan.ipynb",
        {
            "N_LABELS": 20,
            "EPOCHS": 2,
            "LEARNING_RATES": [0.003, 0.001],
            "SWEEP_EPOCHS": 2,
            "N_VAL": 100,
            "N_UNLABELLED": 1000,
        },
        ["ssgan_learning_rate", "ssgan_accuracy", "ssgan_confusion_matrix", "ssgan_samples"],
        "ssgan",
    ),
    (
        # reuses 07's finished runs for (20 labels, seed 42: same settings) and trains seed 43 in full
        "08_label_efficiency.ipynb",
        {
            "LABEL_COUNTS": [20],
            "SEEDS": [42, 43],
            "SSGAN_EPOCHS": 2,
            "SSGAN_SWEEP_EPOCHS": 2,
            "N_VAL": 100,
            "N_UNLABELLED": 1000,
            "CLASSIFIER_UPDATES": 200,
        },
        ["label_efficiency"],
        "label_efficiency",
    ),
    (
        "09_longer_gan.ipynb",
        {
            "STAGES": [1, 2],
            "SEEDS": [42, 43],
            "LABEL_COUNTS": [20],
            "N_VAL": 100,
            "CLASSIFIER_UPDATES": 200,
            "SUBSET_SIZE": 300,
            "N_EVAL_SAMPLES": 200,
            "SPREAD_SEEDS": [43],
            "SPREAD_STAGES": [1],
        },
        ["longer_gan_losses", "longer_gan_accuracy"],
        "future_work.longer_gan",
    ),
    (
        "10_data_and_optimizers.ipynb",
        {
            "DATA_SIZES": [300],
            "OPTIMIZERS": ["sgd", "adam"],
            "SEEDS": [42, 43],
            "EPOCHS": 2,
            "MODERN_RECIPES": [{"learning_rate": 0.001, "epochs": 2}],
            "MODERN_EXPLORED": [{"learning_rate": 0.001, "epochs": 1, "label_smoothing": 0.1}],
            "LEARNING_RATES": {"sgd": [0.01], "adam": [0.001, 0.003]},
        },
        ["protocols"],
        "future_work.protocols",
    ),
    (
        "11_generated_digits.ipynb",
        {
            "EPOCHS": 1,
            "N_GENERATED": 10_000,
            "SUBSET_SIZE": 300,
            "N_EVAL_SAMPLES": 500,
            "SEEDS": [42, 43],
            "ARMS": ["real", "real + classical augmentation", "real + 10k generated", "generated 10k"],
            "CNN_EPOCHS": 1,
            "LEARNING_RATES": [0.001],
            "MODE_SEEKING_WEIGHTS": [0.0, 1.0],
            "PROBE_EPOCHS": 1,
            "SAMPLE_PROBES": [
                {"name": "as drawn"},
                {"name": "best half", "keep": 0.5},
                {"name": "modern, noise x 1.3", "modern": True, "noise_scale": 1.3},
            ],
            "BEST_PROBE_SIZES": [600],
        },
        ["conditional_samples", "generated_digits"],
        "future_work.generated_digits",
    ),
]
# fmt: on
PARAMS = {name: params for name, params, *_ in NOTEBOOKS}
# What a notebook reads from earlier ones: 02's exported GAN and judge; 06 compares 01-05's results.
REQUIRES = {"06": ["01", "02", "03", "04", "05"]} | {n: ["02"] for n in ("03", "04", "05", "08", "09", "10", "11")}
_executed: set[str] = set()


@pytest.fixture(scope="module")
def executed_dir(tmp_path_factory, mnist_dir):
    return tmp_path_factory.mktemp("executed")


def _execute(name: str, output_dir):
    for required in REQUIRES.get(name[:2], []):
        if required not in _executed:
            _execute(next(n for n in PARAMS if n.startswith(required)), output_dir)
    path = execute(name, PARAMS[name], output_dir=output_dir)
    _executed.add(name[:2])
    return path


def test_every_notebook_is_tested_in_order():
    assert [name for name, *_ in NOTEBOOKS] == STUDY + EXTENSIONS + FUTURE
    assert sorted(p.name for p in config.NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(STUDY + EXTENSIONS + FUTURE)


@pytest.mark.slow
@pytest.mark.parametrize("name, params, figures, key", NOTEBOOKS, ids=[n[:2] for n, *_ in NOTEBOOKS])
def test_notebook_runs_headless(name, params, figures, key, executed_dir):
    assert _execute(name, executed_dir).is_file()
    for figure in figures:
        assert (config.FIGURES_DIR / f"{figure}.png").is_file(), figure
    entry = fileio.load_results()
    for part in key.split("."):  # "future_work.longer_gan": a section's entry
        entry = entry[part]
    if key == "comparison" or key.startswith("future_work."):
        assert entry
    else:
        assert {"epochs", "n_train", "seconds"} <= set(entry)
    nb = json.loads((executed_dir / name).read_text())
    outputs = [o for cell in nb["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("name") == "stderr"], "a notebook printed warnings or errors"
    assert any(o.get("output_type") == "display_data" for o in outputs)  # figures are embedded
    text = (executed_dir / name).read_text()
    assert str(config.PROJ_ROOT) not in text  # no absolute path into the repository, in outputs or metadata
    assert "PosixPath(" not in text  # no path objects as cell results
    assert "text/markdown" in json.dumps(nb["cells"][-1]["outputs"])  # "What we found", rendered


@pytest.mark.parametrize("name", STUDY + EXTENSIONS + FUTURE)
def test_parameters_cell_is_the_full_size_protocol(name):
    """Every parameter the notebook has is in config.FULL_SIZE with the same value (or is an action flag),
    so a run with untouched parameters is the study's own and any change makes it a scratch run."""
    import ast

    import papermill

    stem = name.removesuffix(".ipynb")
    found = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / name))
    assert set(found) == set(config.FULL_SIZE[stem]) | set(config.ACTION_FLAGS.get(stem, ()))
    defaults = {key: ast.literal_eval(found[key]["default"]) for key in config.FULL_SIZE[stem]}
    assert runs._normal(defaults) == runs._normal(config.FULL_SIZE[stem])
