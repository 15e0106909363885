"""digitgan: a reproducible study of GANs for MNIST digit classification."""

import os

# TensorFlow's C++ start-up chatter (no CUDA driver on a CPU machine, oneDNN and XLA notices) would
# otherwise fill every notebook's output; Python-level errors and warnings are unaffected.
# Set TF_CPP_MIN_LOG_LEVEL=0 before importing digitgan to see it again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
