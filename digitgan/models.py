"""Keras models: the CNN, the judge, and the DCGAN, whose step noise follows from the seed and the step number."""

import keras
import tensorflow as tf
from keras import layers

from digitgan import checks, config

_bce = keras.losses.BinaryCrossentropy(from_logits=True)


def _conv_features(kernel_size: int) -> list:
    return [
        keras.Input(shape=config.IMAGE_SHAPE),
        layers.Conv2D(32, kernel_size, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, kernel_size, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
    ]


def build_cnn() -> keras.Model:
    """The report's baseline CNN (225,034 parameters); Dense(128) has no activation, as in the original."""
    features = _conv_features(3)
    return keras.Sequential([*features, layers.Dense(128), layers.Dense(config.NUM_CLASSES, "softmax")], name="cnn")


def generator_blocks() -> list:
    """The TensorFlow DCGAN tutorial's generator after its input, to a tanh image (28, 28, 1) in [-1, 1]."""
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


def build_generator() -> keras.Model:
    return keras.Sequential([keras.Input(shape=(config.NOISE_DIM,)), *generator_blocks()], name="generator")


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


def build_judge() -> keras.Model:
    """The MNIST classifier that scores generated digits (penultimate layer: ``features``, 256 units)."""
    return keras.Sequential(
        [
            *_conv_features(5),
            layers.Dropout(0.4),
            layers.Dense(256, activation="relu", name="features"),
            layers.Dropout(0.4),
            layers.Dense(config.NUM_CLASSES, activation="softmax", name="probs"),
        ],
        name="judge",
    )


def with_dropout(model: keras.Sequential, rate: float) -> keras.Sequential:
    """The same layers and weights with ``Dropout(rate)`` before every Dense layer; ``rate`` 0: ``model`` itself."""
    if not rate:
        return model
    stack = []
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            stack.append(layers.Dropout(rate, name=f"dropout_to_{layer.name}"))
        stack.append(layer)
    return keras.Sequential([keras.Input(shape=model.input_shape[1:]), *stack], name=f"{model.name}_dropout")


def discriminator_loss(real_logits, fake_logits):
    """Real images should score 1, generated ones 0."""
    return _bce(tf.ones_like(real_logits), real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


def generator_loss(fake_logits):
    """The generator wins when its images score 1."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


class AdversarialModel(keras.Model):
    """A generator and a discriminator, each with its own optimizer, and their adversarial update."""

    LOSSES = ("g_loss", "d_loss")

    def __init__(self, generator, discriminator, noise_dim=config.NOISE_DIM, seed=config.SEED, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator, self.noise_dim, self.seed = generator, discriminator, noise_dim, seed
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.LOSSES}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def step_noise(self, batch):
        step = tf.cast(self.g_optimizer.iterations, tf.int32)
        return tf.random.stateless_normal([batch, self.noise_dim], seed=tf.stack([self.seed, step]))

    def adversarial_update(self, real_inputs, generator_inputs, condition=None, g_penalty=None):
        """One step of both networks; ``(g_loss, d_loss)``. ``condition`` goes to the discriminator beside the fakes;
        ``g_penalty(fake)`` is added to the generator's loss (``g_loss`` is the adversarial part)."""
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(generator_inputs, training=True)
            real_logits = self.discriminator(real_inputs, training=True)
            fake_logits = self.discriminator(fake if condition is None else [fake, condition], training=True)
            g_loss = generator_loss(fake_logits)
            d_loss = discriminator_loss(real_logits, fake_logits)
            g_total = g_loss if g_penalty is None else g_loss + g_penalty(fake)
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_total, g_vars), g_vars, strict=True))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        return g_loss, d_loss

    def track_losses(self, **losses) -> dict:
        for name, value in losses.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.optimizer = g_optimizer  # the rate TensorBoard logs (compile's default optimizer is never used)
        # Keras 3 creates optimizer state lazily: build it now so a checkpoint can restore into it.
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)


class DCGAN(AdversarialModel):
    """Generator and discriminator trained adversarially by ``fit()``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_log = None  # every batch's (g_loss, d_loss) of the epoch, on the device (set by gan.train_gan)
        self.batch_in_epoch = tf.Variable(0, trainable=False, dtype=tf.int32)

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, real_images):
        noise = self.step_noise(tf.shape(real_images)[0])
        g_loss, d_loss = self.adversarial_update(real_images, noise)
        if self.loss_log is not None:
            self.loss_log.scatter_nd_update([[self.batch_in_epoch]], [tf.stack([g_loss, d_loss])])
            self.batch_in_epoch.assign_add(1)
        return self.track_losses(g_loss=g_loss, d_loss=d_loss)


def build_dcgan(
    learning_rate: float | None = None,
    seed=config.SEED,
    jit_compile: bool = config.GAN_XLA,
    precision: str = config.GAN_PRECISION,
    steps_per_execution: int = 1,
) -> DCGAN:
    """A compiled DCGAN of fresh networks computing in the dtype policy ``precision``, each with Adam."""
    learning_rate = config.GAN_LEARNING_RATE if learning_rate is None else checks.learning_rate(learning_rate)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        generator, discriminator = build_generator(), build_discriminator()
    finally:
        keras.mixed_precision.set_global_policy(previous)
    gan = DCGAN(generator, discriminator, seed=seed, name="dcgan")
    optimizers = keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate)
    gan.compile(*optimizers, jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    return gan
