"""digitgan: a reproducible study of GANs for MNIST digit classification, in three layers (see README.md here).

- the core, ``digitgan/*.py``: the study's protocol, data, models, training and results (notebooks 01-06);
- ``digitgan.extensions``: the extension studies (notebooks 07-11), built on the core;
- ``digitgan.tools``: the notebook runner, report, export, verification and speed measurements, built on both.
The core never imports the extensions or the tools, and the extensions never import the tools (tests/test_layers.py).
Importing the package is light: TensorFlow is imported by the modules that use it, when they are imported
(``python -m digitgan.tools.report`` or ``digitgan.tools.export`` never load it).
"""

import logging
import os

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
# to see more. Importing digitgan configures nothing else: TensorFlow's runtime (threads, devices) is initialised
# by whatever first uses it, so it can still be configured after ``import digitgan``, and the messages its
# libraries print while they load (CUDA libraries found or not) stay on stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
