"""Test set-up: every writable folder of digitgan (the study's figures/ and checkpoints/, data/, runs/) points
into one temporary directory per session, so the tests never touch the committed results; MNIST comes from
../shared/mnist. The notebooks run with small parameters and, by the documented opt-in, write into those
temporary study folders, so that later notebooks read what earlier ones saved."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path(tempfile.mkdtemp(prefix="digitgan-tests-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)  # each process (xdist worker) removes its own
for name in ("FIGURES", "CHECKPOINT", "DATA", "RUNS"):
    os.environ[f"DIGITGAN_{name}_DIR"] = str(SCRATCH / name.lower())
os.environ["DIGITGAN_STUDY_RUN"] = "1"  # the runner's flag: the notebooks under test write the temporary study folders
os.environ.setdefault("DIGITGAN_MNIST", str(ROOT.parent / "shared" / "mnist"))
MNIST_DIR = Path(os.environ["DIGITGAN_MNIST"])


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    if not MNIST_DIR.is_dir():
        pytest.skip(f"MNIST not found at {MNIST_DIR}: set DIGITGAN_MNIST to a folder with the IDX files")
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from digitgan.data import load_mnist

    return load_mnist(mnist_dir)


@pytest.fixture(scope="session")
def small_data(mnist_dir):
    """The protocol's arrays with a 300-image subset."""
    from digitgan.data import load_study_data

    return load_study_data(subset_size=300, source=mnist_dir)


@pytest.fixture()
def seeded():
    from digitgan.utils import set_seed

    set_seed(42)


# The files whose tests train for longest (tens of seconds each on 2 cores). pytest-xdist hands tests to its
# workers in collection order, so these go first: the quick ones then fill both workers to the end.
LONGEST_FIRST = ("test_determinism.py", "test_conditional.py", "test_longer_gan.py", "test_gan.py",
                 "test_judge_inputs.py", "test_generated.py", "test_protocols.py", "test_runs.py")  # fmt: skip


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: each file keeps its own order
