"""digitgan: a reproducible study of GANs for MNIST digit classification, in three layers (see README.md here).

- the core, ``digitgan/*.py``: the study's protocol, data, models, training and results (notebooks 01-06);
- ``digitgan.extensions``: the extension studies (notebooks 07-11), built on the core;
- ``digitgan.tools``: the notebook runner, report, export, verification and speed measurements, built on both.
The core never imports the extensions or the tools, and the extensions never import the tools (tests/test_layers.py).
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


def _one_trace_per_model(record: logging.LogRecord) -> bool:
    """Drops TensorFlow's "N out of the last M calls ... triggered tf.function retracing" warning: the label study
    trains and scores dozens of small models in one process, each traced once, which that counter reads as
    retracing. Every other TensorFlow message passes."""
    return "triggered tf.function retracing" not in record.getMessage()


# TensorFlow's Python messages go through the standard "tensorflow" logger, which exists before TensorFlow does:
# the filter is installed on it by name, whether or not TensorFlow is ever imported (once, even if reloaded).
_tf_logger = logging.getLogger("tensorflow")
for _old in [f for f in _tf_logger.filters if getattr(f, "__name__", None) == _one_trace_per_model.__name__]:
    _tf_logger.removeFilter(_old)
_tf_logger.addFilter(_one_trace_per_model)

# TensorFlow's C++ log level (its documented variable: 3 keeps fatal messages only); set it before importing digitgan
# to see more (any other value shows everything, start-up notices included).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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

    No setting reaches these: the PyPI wheel (2.21) prints "oneDNN custom operations are on" and "Could not find
    cuda drivers on your machine" while its libraries load, through Abseil's logging before anything initialises
    it, so ``TF_CPP_MIN_LOG_LEVEL``, ``CUDA_VISIBLE_DEVICES=""`` and glog's variables leave them on file
    descriptor 2 (Abseil drops messages below the threshold only once initialised: abseil-cpp pull requests 1718
    and 1957), where Jupyter copies them into every notebook. Nothing is wrong: TensorFlow runs on the CPU. Only
    with ``TF_CPP_MIN_LOG_LEVEL`` at 3 (the default here).
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

        spec.loader.exec_module = exec_module
        return spec


if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3" and "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlow())
