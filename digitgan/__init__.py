"""digitgan: a reproducible study of GANs for MNIST digit classification, in three layers (README.md here): the core
(``digitgan/*.py``, notebooks 01-06), ``digitgan.extensions`` (07-11) and ``digitgan.tools``; TensorFlow is imported
only by the modules that use it."""

import logging
import os

__version__ = "0.1.0"


def _one_trace_per_model(record: logging.LogRecord) -> bool:
    """Drops TensorFlow's retracing warning: the label study traces dozens of small models, each once."""
    return "triggered tf.function retracing" not in record.getMessage()


_tf_logger = logging.getLogger("tensorflow")  # exists before TensorFlow does; the filter is installed once
for _old in [f for f in _tf_logger.filters if getattr(f, "__name__", None) == _one_trace_per_model.__name__]:
    _tf_logger.removeFilter(_old)
_tf_logger.addFilter(_one_trace_per_model)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ log level: fatal messages only, unless set
