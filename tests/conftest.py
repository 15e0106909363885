"""Test set-up: every writable folder of digitgan (the study's figures/ and checkpoints/, data/, runs/) points
into one temporary directory per session, so the tests never touch the committed results; MNIST comes from
../shared/mnist. The notebooks run with small parameters and, by the documented opt-in, write into those
temporary study folders, so that later notebooks read what earlier ones saved."""

import atexit
import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
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


class Handshake:
    """A socket on 127.0.0.1 that a process a test starts, or a kernel that process starts, connects to when it
    reaches a point: the test blocks in :meth:`accept` until it does, instead of polling for a file."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._open = [self.server]

    def connect(self, name: str = "handshake") -> str:
        """Python source that connects and names the connection ``name``: a text file to write lines to and read
        the test's answers from (open until its process ends)."""
        return f"import socket\n{name} = socket.create_connection(('127.0.0.1', {self.port})).makefile('rw')"

    def say(self, expression: str, name: str = "handshake") -> str:
        """Python source that connects and sends the value of ``expression`` as one line."""
        return f"import os\n{self.connect(name)}\n{name}.write(f'{{{expression}}}\\n')\n{name}.flush()"

    def accept(self, *processes: subprocess.Popen, err: Path | None = None, timeout: float = 300):
        """The next connection, as a text file with a ``timeout`` on every read. Fails as soon as every one of
        ``processes`` has ended with nothing connected (a pidfd becomes readable when its process ends);
        ``timeout`` only keeps a hung test from waiting forever."""
        alive = []
        for process in processes:
            with contextlib.suppress(ProcessLookupError):  # ended and reaped already
                alive.append(os.pidfd_open(process.pid))
        try:
            while True:
                # once every process has ended, one look suffices: what they connected before is queued
                ready = select.select([self.server, *alive], [], [], timeout if alive or not processes else 0)[0]
                if self.server in ready:
                    break
                if not ready:
                    codes = [process.poll() for process in processes]
                    pytest.fail(f"nothing connected (exit codes {codes}; None: still running after {timeout} s)"
                                + (f":\n{err.read_text()[-3000:]}" if err and err.exists() else ""))  # fmt: skip
                for fd in ready:
                    alive.remove(fd)
                    os.close(fd)
        finally:
            for fd in alive:
                os.close(fd)
        conn, _ = self.server.accept()
        conn.settimeout(timeout)
        self._open.append(conn)
        return conn.makefile("rw")

    def close(self) -> None:
        for s in self._open:
            s.close()


@pytest.fixture()
def handshake():
    hs = Handshake()
    yield hs
    hs.close()


class Watched:
    """A process that is not this one's child (a notebook's kernel), watched through a pidfd: :meth:`ended` blocks
    until it exits (a zombie counts) instead of polling ``/proc``. Made as soon as the kernel has said its pid, while
    it runs: the pidfd then refers to that process, whatever later reuses the pid."""

    def __init__(self, pid: int):
        try:
            self.fd = os.pidfd_open(pid)
        except ProcessLookupError:  # ended and reaped already
            self.fd = None

    def ended(self, timeout: float = 60) -> bool:
        """Whether it has ended or ends within ``timeout`` (a guard against a hung test, not a measured time)."""
        return self.fd is None or bool(select.select([self.fd], [], [], timeout)[0])

    def kill(self) -> None:
        if self.fd is not None:
            if not self.ended(0):
                signal.pidfd_send_signal(self.fd, signal.SIGKILL)
            os.close(self.fd)
            self.fd = None


@pytest.fixture()
def watch_kernel():
    """``watch_kernel(pid)``: a :class:`Watched` kernel, killed at the end of the test if it still runs (a test
    never leaves one behind)."""
    watched = []
    yield lambda pid: watched.append(Watched(pid)) or watched[-1]
    for process in watched:
        process.kill()


# The files whose tests train for longest (tens of seconds each on 2 cores). pytest-xdist hands tests to its
# workers in collection order, so these go first: the quick ones then fill both workers to the end.
LONGEST_FIRST = ("test_determinism.py", "test_conditional.py", "test_longer_gan.py", "test_gan.py",
                 "test_judge_inputs.py", "test_generated.py", "test_protocols.py", "test_runs.py")  # fmt: skip


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: each file keeps its own order
