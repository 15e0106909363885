"""digitgan: a reproducible study of GANs for MNIST digit classification (its three layers: README.md here)."""

import logging
import os

__version__ = "0.1.0"

# TensorFlow's retracing warning is dropped: the label study traces dozens of small models, each once.
logging.getLogger("tensorflow").addFilter(lambda record: "triggered tf.function retracing" not in record.getMessage())
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ log level: fatal messages only, unless set
