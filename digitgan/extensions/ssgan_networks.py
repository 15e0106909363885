"""The semi-supervised GAN's networks (Salimans et al. 2016): an MLP discriminator with weight normalisation and
Gaussian noise, and the generator that matches its features (:mod:`.ssgan` trains them)."""

import keras
from keras import layers, ops

from digitgan import config

FEATURES = "features"  # the discriminator's last hidden layer, matched by the generator


class WeightNormDense(layers.Layer):
    """Dense with weight normalisation, ``y = act(x (g * v / ||v||) + b)``; ``train_scale=False``: ``g`` kept as set."""

    def __init__(self, units, activation=None, train_scale=True, kernel_stddev=0.05, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, keras.activations.get(activation)
        self.train_scale, self.kernel_stddev = train_scale, kernel_stddev

    def build(self, input_shape):
        normal = keras.initializers.RandomNormal(stddev=self.kernel_stddev, seed=None)
        self.v = self.add_weight(shape=(input_shape[-1], self.units), initializer=normal, name="v")
        self.g = self.add_weight(shape=(self.units,), initializer="ones", trainable=self.train_scale, name="g")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def pre_activation(self, x, normalised_only=False):
        """``x v / ||v||`` (``normalised_only``) or the full ``x w + b``."""
        direction = ops.matmul(x, self.v) / ops.sqrt(ops.sum(ops.square(self.v), axis=0) + 1e-12)
        return direction if normalised_only else direction * self.g + self.b

    def call(self, x):
        return self.activation(self.pre_activation(x))


def build_ssgan_discriminator(num_classes: int = config.NUM_CLASSES, seed: int = config.SEED) -> keras.Model:
    """The paper's MNIST discriminator: images in [-1, 1] -> 10 class logits (1,541,020 parameters)."""
    x = inputs = keras.Input(shape=config.IMAGE_SHAPE)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Rescaling(0.5, offset=0.5, name="to_unit_range")(x)  # the paper's pixels are in [0, 1]
    x = layers.GaussianNoise(0.3, seed=seed, name="noise0")(x)
    for i, width in enumerate((1000, 500, 250, 250, 250), start=1):
        x = WeightNormDense(width, "relu", False, 0.1, name=FEATURES if i == 5 else f"h{i}")(x)
        x = layers.GaussianNoise(0.5, seed=seed + i, name=f"noise{i}")(x)
    logits = WeightNormDense(num_classes, train_scale=True, name="logits", kernel_stddev=0.1)(x)
    return keras.Model(inputs, logits, name="ssgan_discriminator")


def build_ssgan_generator() -> keras.Model:
    """The paper's MNIST generator: uniform noise (100,) -> image (28, 28, 1) in [-1, 1]."""
    dense, norm = {"use_bias": False, "dtype": "float32"}, {"scale": False, "dtype": "float32"}
    return keras.Sequential(
        [
            keras.Input(shape=(config.NOISE_DIM,)),
            *(layers.Dense(500, **dense), layers.BatchNormalization(**norm), layers.Activation("softplus")),
            *(layers.Dense(500, **dense), layers.BatchNormalization(**norm), layers.Activation("softplus")),
            WeightNormDense(28 * 28, train_scale=True, kernel_stddev=0.05, name="pixels"),
            layers.Activation("sigmoid"),  # the paper's [0, 1] pixels ...
            layers.Rescaling(2.0, offset=-1.0),  # ... mapped to the study's [-1, 1]
            layers.Reshape(config.IMAGE_SHAPE),
        ],
        name="ssgan_generator",
    )
