"""digitgan: a reproducible study of GANs for MNIST digit classification.

Importing the package is light: TensorFlow is imported by the modules that use it, when they are imported
(``python -m digitgan.tools.report`` or ``digitgan.tools.export`` never load it).
"""

import importlib.abc
import importlib.util
import logging
import os
import sys
from contextlib import contextmanager

__version__ = "0.1.0"


@contextmanager
def _fd2_silenced():
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Imports TensorFlow, whenever something first does, with its C++ start-up messages silenced.

    The PyPI wheel is built with CUDA: on a machine without a GPU driver it prints "Could not find cuda
    drivers" and "failed call to cuInit" straight to file descriptor 2, where no logging setting reaches,
    and Jupyter copies them into every notebook. Nothing is wrong: TensorFlow runs on the CPU.
    ``TF_CPP_MIN_LOG_LEVEL`` (default 3 here; set it before importing digitgan) covers later notices; any
    other value shows everything.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders locate the package
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            with _fd2_silenced():
                load(module)
                module.config.list_logical_devices()  # device start-up prints too
            logging.getLogger("tensorflow").addFilter(_one_trace_per_model)

        spec.loader.exec_module = exec_module
        return spec


def _one_trace_per_model(record: logging.LogRecord) -> bool:
    """Drops TensorFlow's "N out of the last M calls ... triggered tf.function retracing" warning: the label study
    trains and scores dozens of small models in one process, each traced once, which that counter reads as
    retracing. Every other TensorFlow message passes."""
    return "triggered tf.function retracing" not in record.getMessage()


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3" and "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlow())
