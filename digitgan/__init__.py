"""digitgan: a reproducible study of GANs for MNIST digit classification."""

import os

__version__ = "0.1.0"


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow and initialise its devices with the C++ start-up messages silenced.

    The PyPI wheel is built with CUDA: on a machine without a GPU driver it prints "Could not find
    cuda drivers" and "failed call to cuInit" straight to file descriptor 2, where no logging setting
    reaches, and Jupyter copies them into every notebook. Nothing is wrong: TensorFlow runs on the CPU.
    ``TF_CPP_MIN_LOG_LEVEL`` (default 3 here; set it before importing digitgan) covers later notices.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ["TF_CPP_MIN_LOG_LEVEL"] != "3":
        import tensorflow  # noqa: F401

        return
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_logical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()
