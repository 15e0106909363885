import gzip
import hashlib
import shutil

import numpy as np
import pytest

from digitgan import checks, config, data
from digitgan.data import MnistError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_shapes_and_labels(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS


def test_subset_indices_are_the_papers():
    idx = data.subset_indices()
    assert idx[:10].tolist() == [12628, 37730, 39991, 8525, 8279, 51012, 14871, 15127, 9366, 33322]
    assert idx[-5:].tolist() == [36675, 19487, 3256, 14474, 41816]
    digest = hashlib.sha256(idx.astype("<i8").tobytes()).hexdigest()
    assert digest == "3f0a9641d0de4aa867552dce90bf069a64b6564ce6895d0df7b07a36155ef444"
    assert len(np.unique(idx)) == 10_000


def test_study_data_scaling_and_subset_labels(mnist_dir, mnist):
    d = data.load_study_data(source=mnist_dir)
    assert d["x_train"].shape == (10000, 28, 28, 1) and d["x_train"].dtype == np.float32
    assert d["x_train"].min() == -1.0 and d["x_train"].max() == 1.0
    assert np.bincount(d["y_train"]).tolist() == [984, 1093, 994, 1000, 980, 919, 981, 1060, 979, 1010]
    (x_all, _), _ = mnist
    np.testing.assert_array_equal(d["x_train"][3, ..., 0], (x_all[8525].astype(np.float32) - 127.5) / 127.5)
    assert d["x_test"].shape == (10000, 28, 28, 1)


def test_one_hot():
    y = data.one_hot(np.array([0, 9, 3]))
    assert y.shape == (3, 10) and y.dtype == np.float32
    assert y.argmax(1).tolist() == [0, 9, 3] and y.sum() == 3


def _copy(mnist_dir, tmp_path, decompress=()):
    for f in mnist_dir.glob("*.gz"):
        if f.name[:-3] in decompress:
            (tmp_path / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
        else:
            shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_uncompressed_files_load_too(mnist_dir, tmp_path, mnist):
    folder = _copy(mnist_dir, tmp_path, decompress={"t10k-labels-idx1-ubyte"})
    _, (_, y_test) = data.load_mnist(folder)
    np.testing.assert_array_equal(y_test, mnist[1][1])


def test_truncated_gz_names_the_file(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    bad = folder / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:1000])
    with pytest.raises(MnistError, match=r"train-labels-idx1-ubyte\.gz is truncated"):
        data.load_mnist(folder)


def _wrong_magic(raw):
    raw[:4] = (2049).to_bytes(4, "big")


def _one_pixel(raw):
    raw[5000] ^= 0xFF  # same size and header, one pixel changed


@pytest.mark.parametrize("damage", [_wrong_magic, _one_pixel, lambda raw: raw.__delitem__(slice(-10, None))])
def test_a_damaged_idx_file_is_refused_by_name(mnist_dir, tmp_path, damage):
    folder = _copy(mnist_dir, tmp_path)
    raw = bytearray(gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes()))
    damage(raw)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    (folder / "t10k-images-idx3-ubyte").write_bytes(bytes(raw))
    with pytest.raises(MnistError, match=r"t10k-images-idx3-ubyte: SHA-256.*Replace it"):
        data.load_mnist(folder)


def test_missing_folder_and_missing_file(tmp_path, monkeypatch):
    with pytest.raises(MnistError, match="is not a folder.*DIGITGAN_MNIST"):
        data.load_mnist(tmp_path / "nowhere")
    monkeypatch.setenv("DIGITGAN_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(MnistError, match="is not a folder"):
        data.load_mnist()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(MnistError, match="has no train-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)


@pytest.fixture
def download_to(tmp_path, monkeypatch):
    """load_mnist with no MNIST folder: it downloads into tmp_path/data from the URL it is given."""
    monkeypatch.delenv("DIGITGAN_MNIST", raising=False)
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")

    def load(url):
        monkeypatch.setattr(data, "_NPZ_URL", url)
        return data.load_mnist()

    return load


def test_failed_download_leaves_nothing(tmp_path, download_to):
    with pytest.raises(MnistError, match="Downloading MNIST from file://.* failed"):
        download_to(f"file://{tmp_path}/no-such-file.npz")
    assert list((tmp_path / "data").iterdir()) == []


def test_corrupt_download_leaves_nothing(tmp_path, download_to):
    fake = tmp_path / "fake.npz"
    np.savez(fake, x_train=np.zeros(3))
    with pytest.raises(MnistError, match="hash does not match.* nothing was saved"):
        download_to(f"file://{fake}")
    assert list((tmp_path / "data").iterdir()) == []


def test_a_verified_download_is_read_and_reused(tmp_path, download_to, monkeypatch):
    fake = tmp_path / "fake.npz"
    np.savez(fake, x_train=np.ones(3), y_train=np.arange(3), x_test=np.zeros(2), y_test=np.arange(2))
    monkeypatch.setattr(data, "_NPZ_SHA256", hashlib.sha256(fake.read_bytes()).hexdigest())
    (x_train, y_train), (_, y_test) = download_to(f"file://{fake}")
    assert x_train.tolist() == [1, 1, 1] and y_train.tolist() == [0, 1, 2] and y_test.tolist() == [0, 1]
    fake.unlink()  # the verified copy in data/ is read again without a download
    assert download_to(f"file://{fake}")[1][1].tolist() == [0, 1]


def test_validation_split_is_balanced_seeded_and_disjoint_from_the_labels():
    y = np.repeat(np.arange(10), 100)
    labelled = data.label_subset_indices(y, 100, seed=1)
    val = data.validation_indices(y, labelled, 200, seed=1)
    assert len(val) == 200 and not set(val) & set(labelled)
    assert np.bincount(y[val], minlength=10).tolist() == [20] * 10
    assert val.tolist() == data.validation_indices(y, labelled, 200, seed=1).tolist()
    assert val.tolist() != data.validation_indices(y, labelled, 200, seed=2).tolist()
    with pytest.raises(ValueError, match="n_val"):
        data.validation_indices(y, labelled, 205)
    with pytest.raises(ValueError, match="digit"):
        data.validation_indices(y, labelled, 1000)


def test_label_efficiency_data_can_carry_a_validation_split(mnist_dir):
    d = data.load_label_efficiency_data(100, seed=43, n_val=500)
    assert d["x_val"].shape == (500, 28, 28, 1) and np.bincount(d["y_val"]).tolist() == [50] * 10
    assert not set(d["val_indices"]) & set(d["label_indices"])
    assert "x_val" not in data.load_label_efficiency_data(100, seed=43)


# Loads the study's data as a user would; what a missing MNIST prints is the process's stderr.
_LOAD = "from digitgan import data; data.load_study_data(50)"


def _load_without_mnist(tmp_path, **env):
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if k != "DIGITGAN_MNIST"}
    # no network, whatever the machine: every request goes to a closed local port and is refused at once
    offline = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "no_proxy": ""}
    env = {**base, **offline, "DIGITGAN_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(
        [sys.executable, "-c", _LOAD], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


def test_no_mnist_and_no_network_is_one_short_error(tmp_path, monkeypatch):
    import urllib.request

    monkeypatch.delenv("DIGITGAN_MNIST", raising=False)
    monkeypatch.setattr(config, "DATA_DIR", tmp_path / "data")
    # no network, whatever the machine: every request goes to a closed local port and is refused at once
    for proxy in ("http_proxy", "https_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setattr(urllib.request, "_opener", None)  # an opener built now reads those proxies
    with pytest.raises(MnistError) as caught:
        data.load_study_data(50)
    message = str(caught.value)
    assert message.startswith("No MNIST found; looked in: DIGITGAN_MNIST (unset), ")
    assert caught.value.__suppress_context__ and caught.value.__cause__ is None  # no chained urllib traceback
    for what in (str(tmp_path / "data"), "Downloading MNIST from https://", "Set DIGITGAN_MNIST", "`make lab`"):
        assert what in message
    assert not list((tmp_path / "data").iterdir())  # the failed download left nothing


def test_an_empty_mnist_folder_is_one_short_error(tmp_path):
    (tmp_path / "empty").mkdir()
    done = _load_without_mnist(tmp_path, DIGITGAN_MNIST=str(tmp_path / "empty"))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) < 30, done.stderr
    assert lines[-1].startswith(f"digitgan.data.MnistError: No MNIST files in {tmp_path / 'empty'}. Set DIGITGAN_MNIST")
    assert "`make lab`" in lines[-1]


@pytest.mark.parametrize(
    "seed, message",
    [
        (None, "seed must be an integer, got None"),
        ("42", r"seed must be an integer, got '42'"),
        (4.2, r"seed must be an integer, got 4.2"),
        (-1, r"seed must be in \[0, 4,294,967,295\], got -1"),
        (2**32, r"seed must be in \[0, 4,294,967,295\], got 4,294,967,296"),
    ],
)
def test_study_data_refuses_a_bad_seed_before_reading_mnist(seed, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        data.load_study_data(50, seed=seed, source=tmp_path / "nowhere")  # the seed is checked first


@pytest.mark.parametrize(
    "call",
    [
        lambda seed: data.subset_indices(100, 10, seed),
        lambda seed: data.label_subset_indices(np.repeat(np.arange(10), 10), 20, seed),
        lambda seed: data.validation_indices(np.repeat(np.arange(10), 10), np.arange(0), 20, seed),
        lambda seed: data.load_label_efficiency_data(20, seed, source="/nowhere"),
    ],
    ids=["subset_indices", "label_subset_indices", "validation_indices", "load_label_efficiency_data"],
)
def test_every_seeded_data_function_checks_its_seed(call):
    for bad in (None, "42", 4.2, -1, 2**32):
        with pytest.raises(ValueError, match="seed"):
            call(bad)


def test_the_largest_seed_draws_a_validation_split():
    y = np.repeat(np.arange(10), 10)
    assert len(data.validation_indices(y, np.arange(0), 20, seed=checks.SEED_MAX)) == 20


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_starts_the_venvs_jupyter_in_notebooks_with_the_offline_mnist(tmp_path):
    import os
    import subprocess

    repo, mnist = tmp_path / "repo", tmp_path / "shared" / "mnist"
    for folder in (repo / "notebooks", repo / ".venv" / "bin", mnist):
        folder.mkdir(parents=True)
    shutil.copy(config.PROJ_ROOT / "Makefile", repo / "Makefile")
    for name in ("requirements.lock", "pyproject.toml"):
        (repo / name).write_text("")
    jupyter = repo / ".venv" / "bin" / "jupyter"  # stands in for JupyterLab: says where and with what it started
    jupyter.write_text(
        '#!/bin/sh\necho "jupyter $* in $(pwd) with DIGITGAN_MNIST=$DIGITGAN_MNIST '
        'study=${DIGITGAN_STUDY_RUN:-unset}"\n'
    )
    jupyter.chmod(0o755)
    (repo / ".venv" / ".installed").write_text("")  # the environment is installed (newer than the lock)
    os.utime(repo / ".venv" / ".installed", (2e9, 2e9))
    env = {k: v for k, v in os.environ.items() if k not in ("DIGITGAN_MNIST", "MAKEFLAGS", "MAKELEVEL")}

    out = subprocess.run(["make", "lab"], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout
    assert f"jupyter lab in {repo / 'notebooks'} with DIGITGAN_MNIST={mnist}" in out
    out = subprocess.run(["make", "lab"], cwd=repo, env={**env, "DIGITGAN_MNIST": "/my/mnist"}, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert "with DIGITGAN_MNIST=/my/mnist" in out  # a user's own setting wins
    out = subprocess.run(["make", "lab"], cwd=repo, env={**env, "DIGITGAN_STUDY_RUN": "1"}, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert "study=unset" in out  # JupyterLab's runs are scratch runs, even from a shell that runs the study
    assert "make lab " in subprocess.run(["make"], cwd=repo, capture_output=True, text=True, check=True).stdout
