"""Keras model builders: the baseline CNN, the DCGAN's generator and discriminator, the judge."""

import keras
from keras import layers

from digitgan import config


def _conv_features(kernel_size: int) -> list:
    """The input and the feature stack the CNN and the judge share: two ReLU convolutions (32 then 64 filters of
    ``kernel_size``), each followed by 2x2 max pooling, then flattened."""
    return [
        keras.Input(shape=config.IMAGE_SHAPE),
        layers.Conv2D(32, kernel_size, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, kernel_size, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
    ]


def build_cnn(num_classes: int = config.NUM_CLASSES) -> keras.Model:
    """The report's baseline CNN (225,034 parameters); Dense(128) has no activation, as in the original."""
    return keras.Sequential(
        [
            *_conv_features(3),
            layers.Dense(128),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="cnn",
    )


def generator_blocks() -> list:
    """The TensorFlow DCGAN tutorial's generator after its input: Dense to 7x7x256, then two upsampling blocks and a
    tanh output (28, 28, 1) in [-1, 1]. The DCGAN's generator and the conditional one apply these layers in turn."""
    return [
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        # float32 output even under a mixed-precision policy: losses and images stay exact.
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh", dtype="float32"),
    ]


def build_generator(noise_dim: int = config.NOISE_DIM) -> keras.Model:
    """The DCGAN's generator: noise (noise_dim,) -> image (28, 28, 1) in [-1, 1]."""
    return keras.Sequential([keras.Input(shape=(noise_dim,)), *generator_blocks()], name="generator")


def build_discriminator() -> keras.Model:
    """The TensorFlow DCGAN tutorial's discriminator (212,865 parameters), ending in one real/fake logit."""
    return keras.Sequential(
        [
            keras.Input(shape=config.IMAGE_SHAPE),
            layers.Conv2D(64, 5, strides=2, padding="same", name="conv1"),
            layers.LeakyReLU(name="leaky1"),
            layers.Dropout(0.3, name="dropout1"),
            layers.Conv2D(128, 5, strides=2, padding="same", name="conv2"),
            layers.LeakyReLU(name="leaky2"),
            layers.Dropout(0.3, name="dropout2"),
            layers.Flatten(name="flatten"),
            layers.Dense(1, name="logit", dtype="float32"),
        ],
        name="discriminator",
    )


def build_judge(num_classes: int = config.NUM_CLASSES) -> keras.Model:
    """The MNIST classifier that scores generated digits (penultimate layer: ``features``, 256 units)."""
    return keras.Sequential(
        [
            *_conv_features(5),
            layers.Dropout(0.4),
            layers.Dense(256, activation="relu", name="features"),
            layers.Dropout(0.4),
            layers.Dense(num_classes, activation="softmax", name="probs"),
        ],
        name="judge",
    )


def with_dropout(model: keras.Sequential, rate: float) -> keras.Sequential:
    """The same layers (the same weights, the same parameter count) with ``Dropout(rate)`` on every Dense layer's
    input: for the CNN and trial 3, on the flattened features and on Dense(128)'s output. Dropout is active in
    training only, so the trained network is the same function class; ``rate`` 0 returns ``model`` itself."""
    if not rate:
        return model
    stack = []
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            stack.append(layers.Dropout(rate, name=f"dropout_to_{layer.name}"))
        stack.append(layer)
    return keras.Sequential([keras.Input(shape=model.input_shape[1:]), *stack], name=f"{model.name}_dropout")
