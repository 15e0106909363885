"""A semi-supervised GAN whose discriminator is a 10-way classifier, trained with feature matching.

Follows Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen, "Improved Techniques for Training
GANs" (NeurIPS 2016), sections 3.1 and 5, and their MNIST code (openai/improved-gan,
``mnist_svhn_cifar/train_mnist_feature_matching.py``; facts only, the code here is ours):

- The discriminator outputs K = 10 class logits ``l``. With ``Z(x) = sum_k exp(l_k(x))`` the probability
  that ``x`` is real is ``D(x) = Z / (Z + 1)`` (the fake class's logit fixed at 0), so its loss is the
  supervised cross-entropy on labelled images plus the unsupervised GAN loss
  ``-log D(x_unlabelled) - log(1 - D(G(z)))`` written with ``logsumexp`` and ``softplus``.
- The generator matches the mean of the discriminator's last hidden layer (250 units) on a real batch
  ("feature matching") instead of maximising ``D(G(z))``.
- Networks (MNIST): the discriminator is an MLP 784-1000-500-250-250-250-10 with ReLU, weight
  normalisation (Salimans & Kingma 2016) with a data-dependent initialisation, and Gaussian noise
  (std 0.3 on the input, 0.5 after each hidden layer; training only). The generator maps 100 uniform
  noise values through two 500-unit softplus layers with batch normalisation to 784 sigmoid pixels
  (weight-normalised).
- Adam (beta_1 0.5) for both networks; the learning rate is chosen on a validation split between the paper's
  0.003 and 0.001 (``label_efficiency.choose_ssgan_learning_rate``: 0.003's validation accuracy fell after
  about 20 epochs here, so 0.001 is chosen), decayed linearly over the last 40% of the epochs; every step sees
  100 labelled images (the labelled set tiled), 100 unlabelled ones (all 60,000 training images) and 100
  generated ones.
- Test accuracy is measured with an exponential moving average of the discriminator's weights, as the
  original code does (its decay is 0.9999 over 300 epochs; ours, for runs of tens of epochs, 0.999).

The images stay in the study's [-1, 1] range: the discriminator maps its input to [0, 1] (the paper's
range) first, and the generator's output ``2 * sigmoid(a) - 1`` is the same as ``tanh(a / 2)``.
Training is compiled (``fit`` on this class's ``train_step``), seeded, and resumes exactly from its
checkpoints (stateless per-step noise, per-epoch seeded batches, noise-layer seed states saved).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from digitgan import checks, config, training
from digitgan.checkpoint import PeriodicCheckpoint, TrainingCheckpoint, rng_state
from digitgan.gan import AdversarialModel

# The recipe beside config's budget (SSGAN_EPOCHS) and learning-rate candidates.
PATIENCE = None  # no early stop: every run trains its whole budget, and keeps its best validation epoch
DECAY_FRACTION = 0.6  # the learning rate decays linearly over the last 40% of the epochs
DECAY_START = round(DECAY_FRACTION * config.SSGAN_EPOCHS)  # 54 of 90
LEARNING_RATE = 0.001  # only the default of a single run; the study chooses among config.SSGAN_LEARNING_RATES
CHECKPOINT_EVERY = 5
EMA_DECAY = 0.999  # the averaged discriminator weights
CHECKPOINT_DIR = config.CHECKPOINT_DIR / config.SSGAN_STATE_NAME
KEPT_FILE = "ssgan_discriminator.weights.h5"  # 07's kept discriminator (the classifier it scores), in checkpoints/

FEATURES = "features"  # the discriminator's last hidden layer, matched by the generator


@keras.saving.register_keras_serializable(package="digitgan")
class WeightNormDense(layers.Layer):
    """Dense layer with weight normalisation: ``w = g * v / ||v||`` per output unit, ``y = act(x w + b)``.

    ``train_scale=False`` keeps ``g`` at the value the data-dependent initialisation gives it (the
    paper's hidden layers); :func:`init_weight_norm` sets ``g`` and ``b`` so that every unit's
    pre-activation has mean 0 and variance 1 on a batch of real data.
    """

    def __init__(self, units, activation=None, train_scale=True, kernel_stddev=0.05, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.train_scale = train_scale
        self.kernel_stddev = kernel_stddev

    def build(self, input_shape):
        self.v = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=keras.initializers.RandomNormal(stddev=self.kernel_stddev, seed=None),
            name="v",
        )
        self.g = self.add_weight(shape=(self.units,), initializer="ones", trainable=self.train_scale, name="g")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def pre_activation(self, x, normalised_only=False):
        """``x v / ||v||`` (``normalised_only``) or the full ``x w + b``."""
        norm = ops.sqrt(ops.sum(ops.square(self.v), axis=0) + 1e-12)
        direction = ops.matmul(x, self.v) / norm
        return direction if normalised_only else direction * self.g + self.b

    def call(self, x):
        return self.activation(self.pre_activation(x))

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "train_scale": self.train_scale,
            "kernel_stddev": self.kernel_stddev,
        }


def build_ssgan_discriminator(num_classes: int = config.NUM_CLASSES, seed: int = config.SEED) -> keras.Model:
    """The paper's MNIST discriminator: images in [-1, 1] -> 10 class logits (1,541,020 parameters)."""
    widths = (1000, 500, 250, 250, 250)
    x = inputs = keras.Input(shape=config.IMAGE_SHAPE)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Rescaling(0.5, offset=0.5, name="to_unit_range")(x)  # the paper's pixels are in [0, 1]
    x = layers.GaussianNoise(0.3, seed=seed, name="noise0")(x)
    dense = {"kernel_stddev": 0.1}
    for i, width in enumerate(widths, start=1):
        name = FEATURES if i == len(widths) else f"h{i}"
        x = WeightNormDense(width, "relu", train_scale=False, name=name, **dense)(x)
        x = layers.GaussianNoise(0.5, seed=seed + i, name=f"noise{i}")(x)
    logits = WeightNormDense(num_classes, train_scale=True, name="logits", **dense)(x)
    return keras.Model(inputs, logits, name="ssgan_discriminator")


def build_ssgan_generator(noise_dim: int = config.NOISE_DIM) -> keras.Model:
    """The paper's MNIST generator: uniform noise (noise_dim,) -> image (28, 28, 1) in [-1, 1]."""
    return keras.Sequential(
        [
            keras.Input(shape=(noise_dim,)),
            layers.Dense(500, use_bias=False, dtype="float32"),
            layers.BatchNormalization(scale=False, dtype="float32"),
            layers.Activation("softplus"),
            layers.Dense(500, use_bias=False, dtype="float32"),
            layers.BatchNormalization(scale=False, dtype="float32"),
            layers.Activation("softplus"),
            WeightNormDense(28 * 28, train_scale=True, kernel_stddev=0.05, name="pixels"),
            layers.Activation("sigmoid"),  # the paper's [0, 1] pixels ...
            layers.Rescaling(2.0, offset=-1.0),  # ... mapped to the study's [-1, 1]
            layers.Reshape(config.IMAGE_SHAPE),
        ],
        name="ssgan_generator",
    )


def _feature_extractor(discriminator: keras.Model) -> keras.Model:
    """The discriminator up to its last hidden layer (shares its layers and weights)."""
    return keras.Model(discriminator.inputs, discriminator.get_layer(FEATURES).output, name="ssgan_features")


def init_weight_norm(model: keras.Model, x: np.ndarray) -> None:
    """Data-dependent initialisation: each weight-normalised layer's pre-activations get mean 0, std 1 on ``x``.

    Layers run in order on ``x`` with their Gaussian noise on, as in the paper's code (so that training,
    which is noisy, sees unit-variance pre-activations: initialising on clean data instead left every
    100-label run we tried on the GPU 4-10 points lower after 10 epochs); each WeightNormDense sets
    ``g = 1 / std`` and ``b = -mean / std`` of its normalised pre-activation before passing its output on.
    """
    h = ops.convert_to_tensor(x)
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, WeightNormDense):
            pre = layer.pre_activation(h, normalised_only=True)
            mean = ops.mean(pre, axis=0)
            std = ops.sqrt(ops.mean(ops.square(pre - mean), axis=0) + 1e-8)
            layer.g.assign(1.0 / std)
            layer.b.assign(-mean / std)
        h = layer(h, training=True)


def supervised_loss(labels, logits):
    """Cross-entropy of the K real classes on labelled images."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


def unsupervised_loss(real_logits, fake_logits):
    """``-log D(x) - log(1 - D(G(z)))`` with ``D = Z / (Z + 1)``, halved as in the paper's code."""
    lse_real = ops.logsumexp(real_logits, axis=1)
    lse_fake = ops.logsumexp(fake_logits, axis=1)
    return 0.5 * (-ops.mean(lse_real) + ops.mean(ops.softplus(lse_real)) + ops.mean(ops.softplus(lse_fake)))


def feature_matching_loss(real_features, fake_features):
    """Squared distance between the mean features of a real and a generated batch."""
    return ops.mean(ops.square(ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)))


class SSGAN(AdversarialModel):
    """Generator and K-class discriminator trained by ``fit()`` on ``(x_lab, y_lab, x_unl, x_unl2)`` batches."""

    LOSSES = ("loss_lab", "loss_unl", "g_loss", "train_error")  # train_error: on the labelled batch

    def __init__(
        self,
        generator,
        discriminator,
        ema_discriminator,
        best_discriminator=None,
        noise_dim=config.NOISE_DIM,
        seed=config.SEED,
        unlabelled_weight=1.0,
        ema_decay=EMA_DECAY,
        **kwargs,
    ):
        super().__init__(generator, discriminator, noise_dim, seed, **kwargs)
        self.ema_discriminator = ema_discriminator
        self.best_discriminator = best_discriminator  # the weights with the best validation accuracy so far
        self.features = _feature_extractor(discriminator)
        self.unlabelled_weight = unlabelled_weight
        self.ema_decay = ema_decay

    def call(self, images, training=False):
        return self.discriminator(images, training=training)

    def _noise(self, batch, stream):
        step = tf.cast(self.d_optimizer.iterations, tf.int32)
        return tf.random.stateless_uniform([batch, self.noise_dim], seed=tf.stack([self.seed + stream, step]))

    def train_step(self, data):
        """A discriminator update on labelled, unlabelled and generated images, the averaged weights, then a
        generator update by feature matching against the updated discriminator."""
        x_lab, y_lab, x_unl, x_unl2 = data
        batch = tf.shape(x_unl)[0]
        fake = self.generator(self._noise(batch, 0), training=True)
        loss_lab, loss_unl, logits_lab, d_grads = self.discriminator_gradients(x_lab, y_lab, x_unl, fake)
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars, strict=True))
        self._update_average(d_vars)
        g_loss, g_grads = self.generator_gradients(x_unl2, self._noise(batch, 1))
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables, strict=True))
        return self._track(loss_lab, loss_unl, g_loss, logits_lab, y_lab)

    def discriminator_gradients(self, x_lab, y_lab, x_unl, fake):
        """``(loss_lab, loss_unl, logits_lab, gradients)`` from one discriminator pass over all three batches.

        Computes what one pass per batch computes (up to the Gaussian noise, drawn here for the stacked batch; a test
        checks it), with larger, faster matrix products.
        """
        sizes = [x_lab.shape[0], x_unl.shape[0], x_unl.shape[0]]  # static where known: XLA needs them
        if None in sizes:
            sizes = tf.stack([tf.shape(x_lab)[0], tf.shape(x_unl)[0], tf.shape(x_unl)[0]])
        with tf.GradientTape() as tape:
            logits = self.discriminator(tf.concat([x_lab, x_unl, fake], axis=0), training=True)
            logits_lab, logits_unl, logits_fake = tf.split(logits, sizes)
            loss_lab, loss_unl, d_loss = self.discriminator_losses(y_lab, logits_lab, logits_unl, logits_fake)
        return loss_lab, loss_unl, logits_lab, tape.gradient(d_loss, self.discriminator.trainable_variables)

    def discriminator_losses(self, y_lab, logits_lab, logits_unl, logits_fake):
        """``(supervised, unsupervised, total)``: the discriminator's loss from its logits on the three batches."""
        loss_lab = supervised_loss(y_lab, logits_lab)
        loss_unl = unsupervised_loss(logits_unl, logits_fake)
        return loss_lab, loss_unl, loss_lab + self.unlabelled_weight * loss_unl

    def generator_gradients(self, x_unl2, noise):
        """``(g_loss, gradients)``: feature matching with one feature pass over real and generated images."""
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            real_features, fake_features = tf.split(self.features(tf.concat([x_unl2, fake], 0), training=True), 2)
            g_loss = feature_matching_loss(real_features, fake_features)
        return g_loss, tape.gradient(g_loss, self.generator.trainable_variables)

    def _update_average(self, d_vars):
        for avg, var in zip(self.ema_discriminator.trainable_variables, d_vars, strict=True):
            avg.assign(self.ema_decay * avg + (1.0 - self.ema_decay) * var)

    def _track(self, loss_lab, loss_unl, g_loss, logits_lab, y_lab):
        error = ops.mean(ops.cast(ops.not_equal(ops.cast(ops.argmax(logits_lab, axis=1), "int64"), y_lab), "float32"))
        return self.track_losses(loss_lab=loss_lab, loss_unl=loss_unl, g_loss=g_loss, train_error=error)


def build_ssgan(
    x_init: np.ndarray | None = None,
    noise_dim: int = config.NOISE_DIM,
    learning_rate: float = LEARNING_RATE,
    beta_1: float = 0.5,
    ema_decay: float = EMA_DECAY,
    seed: int = config.SEED,
    jit_compile: bool = config.SSGAN_XLA,
    steps_per_execution: int = 1,
) -> SSGAN:
    """A compiled SSGAN with fresh networks; ``x_init`` (real images) runs the data-dependent init.

    ``steps_per_execution`` steps run in one call from Python; ``jit_compile=True`` compiles them with XLA (6.4x
    slower on the CPUs measured, ``benchmarks/ssgan_step.py``).
    """
    discriminator = build_ssgan_discriminator(seed=seed)
    if x_init is not None:
        init_weight_norm(discriminator, x_init)
    ema = build_ssgan_discriminator(seed=seed)
    ema.set_weights(discriminator.get_weights())
    best = build_ssgan_discriminator(seed=seed)
    best.set_weights(discriminator.get_weights())
    model = SSGAN(
        build_ssgan_generator(noise_dim),
        discriminator,
        ema,
        best,
        noise_dim=noise_dim,
        seed=seed,
        ema_decay=ema_decay,
    )
    model.compile(
        g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
        d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def ssgan_batches(
    x_lab: np.ndarray,
    y_lab: np.ndarray,
    x_unl: np.ndarray,
    batch_size: int,
    first_epoch: int,
    last_epoch: int,
    seed: int = config.SEED,
) -> tf.data.Dataset:
    """``(x_lab, y_lab, x_unl, x_unl2)`` batches for epochs ``first_epoch .. last_epoch - 1``.

    An epoch is one pass over the unlabelled images (two independent shuffles: one for the
    discriminator, one for the generator's feature matching); the labelled images are tiled, each
    repetition reshuffled, to give every step a full labelled batch. Epoch ``e``'s batches depend
    only on ``(seed, e)``, so a resumed run sees what an uninterrupted one would have seen.
    """
    steps = len(x_unl) // batch_size
    needed = steps * batch_size

    def epoch_indices(epoch):
        rng = np.random.default_rng([seed, epoch])
        unl, unl2 = rng.permutation(len(x_unl))[:needed], rng.permutation(len(x_unl))[:needed]
        reps = -(-needed // len(x_lab))
        lab = np.concatenate([rng.permutation(len(x_lab)) for _ in range(reps)])[:needed]
        return np.stack([lab, unl, unl2], axis=1).astype(np.int32)

    # index triples for every step, gathered inside tf.data (no Python per step)
    order = np.concatenate([epoch_indices(e) for e in range(first_epoch, last_epoch)] or [np.zeros((0, 3), np.int32)])
    x_lab_t, y_lab_t, x_unl_t = tf.constant(x_lab), tf.constant(y_lab, tf.int64), tf.constant(x_unl)

    def gather(idx):
        return (
            tf.gather(x_lab_t, idx[:, 0]),
            tf.gather(y_lab_t, idx[:, 0]),
            tf.gather(x_unl_t, idx[:, 1]),
            tf.gather(x_unl_t, idx[:, 2]),
        )

    return (
        tf.data.Dataset.from_tensor_slices(order)
        .batch(batch_size, drop_remainder=True)
        .map(gather, num_parallel_calls=1, deterministic=True)
        .prefetch(2)
    )


class EpochLog(keras.callbacks.Callback):
    """After every epoch: the mean losses, the validation accuracy (averaged and raw weights) and the wall time.

    The better of the two weight sets is copied to ``model.best_discriminator`` whenever it beats every earlier
    epoch's (``history["best"]``: epoch, which weights, validation accuracy); with ``patience``, training stops
    after that many epochs without a better one. The test set is not read here.
    """

    def __init__(self, history, x_val, y_val, learning_rate, decay_start, epochs, patience=None):
        super().__init__()
        self.history, self.x_val, self.y_val = history, x_val, y_val
        self.learning_rate, self.decay_start, self.epochs, self.patience = learning_rate, decay_start, epochs, patience

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        lr = learning_rate_at(epoch, self.learning_rate, self.decay_start, self.epochs)
        self.model.d_optimizer.learning_rate.assign(lr)
        self.model.g_optimizer.learning_rate.assign(lr)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start  # training only; the evaluation below is not counted
        h, model = self.history, self.model
        for key in ("loss_lab", "loss_unl", "g_loss", "train_error"):
            h[key].append(round(float(logs[key]), 6))
        for key, weights in (("val_accuracy", model.ema_discriminator), ("val_accuracy_raw", model.discriminator)):
            h[key].append(training.accuracy(weights, self.x_val, self.y_val, batch_size=2000))
        h["epoch_seconds"].append(seconds)
        value, weights = max((h["val_accuracy"][-1], "averaged"), (h["val_accuracy_raw"][-1], "raw"))
        if value > h["best"].get("val_accuracy", -1.0):
            source = model.ema_discriminator if weights == "averaged" else model.discriminator
            model.best_discriminator.set_weights(source.get_weights())
            h["best"] = {"epoch": epoch + 1, "weights": weights, "val_accuracy": value}
        if self.patience and epoch + 1 - h["best"]["epoch"] >= self.patience and epoch + 1 < self.epochs:
            h["stopped_at"] = epoch + 1
            model.stop_training = True
        stop = f"; none better than epoch {h['best']['epoch']} for {self.patience}: stop" if model.stop_training else ""
        print(
            f"epoch {epoch + 1}: validation accuracy {h['val_accuracy'][-1]:.4f} (averaged weights), "
            f"{h['val_accuracy_raw'][-1]:.4f} (raw), {seconds:.0f} s{stop}",
            flush=True,
        )


def learning_rate_at(epoch: int, learning_rate: float, decay_start: int | None, epochs: int) -> float:
    """Constant, then (from ``decay_start``) linearly down to a tenth at the last epoch."""
    if decay_start is None or epoch < decay_start or epochs <= decay_start:
        return learning_rate
    fraction = (epoch - decay_start + 1) / (epochs - decay_start)
    return learning_rate * (1.0 - 0.9 * fraction)


def empty_history() -> dict:
    keys = ("loss_lab", "loss_unl", "g_loss", "train_error", "val_accuracy", "val_accuracy_raw", "epoch_seconds")
    return {**{key: [] for key in keys}, "best": {}}


def finished(history: dict, epochs: int) -> bool:
    """Whether a run with this history needs no more training: all ``epochs`` done, or stopped early."""
    return len(history["epoch_seconds"]) >= epochs or "stopped_at" in history


def run_dir(n_labels: int, seed: int, root: Path | None = None) -> Path:
    """Where the training state of one SSGAN run lives (under ``root``, default ``checkpoints/ssgan``)."""
    return Path(root or CHECKPOINT_DIR) / f"labels{n_labels}_seed{seed}"


def train_ssgan(
    data: dict,
    epochs: int = config.SSGAN_EPOCHS,
    batch_size: int = config.BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    decay_start: int | None = DECAY_START,
    ema_decay: float = EMA_DECAY,
    checkpoint_dir: Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
    retrain: bool = False,
    seed: int = config.SEED,
    jit_compile: bool = config.SSGAN_XLA,
    verbose: int = 2,
    log_dir: Path | None = None,
    patience: int | None = PATIENCE,
) -> tuple[SSGAN, dict]:
    """Train (or resume, or reload) an SSGAN on ``load_label_efficiency_data(..., n_val=...)`` arrays.

    ``data`` needs ``x_train``/``y_train`` (the labelled images), ``x_unlabelled`` and ``x_val``/``y_val`` (the
    validation split: every epoch is scored on it, the test set is not read). ``model.best_discriminator`` ends
    with the epoch's and weight set's (averaged or raw) with the best validation accuracy (``history["best"]``);
    with ``patience``, training stops after that many epochs without a better one. The checkpoint goes to
    ``checkpoint_dir`` (default: ``checkpoints/ssgan/labels<N>_seed<S>``). A finished run is reloaded, not
    retrained, unless ``retrain=True``; an interrupted one continues. Each epoch runs as one call from Python (with
    XLA only for ``jit_compile=True``). With ``log_dir``, the epoch's losses, validation accuracies and a grid of
    samples go to TensorBoard there.
    """
    from digitgan.utils import set_seed

    for key in ("x_train", "y_train", "x_unlabelled", "x_val", "y_val"):
        if key not in data:
            raise ValueError(
                f"data has no {key!r}: pass the arrays of data.load_label_efficiency_data(n_labels, seed, "
                f"n_val={config.LABEL_EFFICIENCY_VAL}) (the SSGAN is scored on a validation split every epoch)"
            )
    checks.labelled(data, ("train", "val"))  # images float, finite, in [-1, 1]; labels 0-9; none empty
    checks.images("data['x_unlabelled']", data["x_unlabelled"])
    n_labels = len(data["y_train"])
    n_unl = len(data["x_unlabelled"])
    epochs = checks.integer("epochs", epochs, 1)
    batch_size = checks.batch_size(batch_size, n_unl, "batch_size (vs. the unlabelled images)")
    checks.learning_rate(learning_rate)
    checks.seed(seed)
    checks.fraction("ema_decay", ema_decay)
    if decay_start is not None:
        checks.integer("decay_start", decay_start, 0)  # at or after the last epoch: no decay
    if patience is not None:
        patience = checks.integer("patience", patience, 1)
    checkpoint_every = checks.integer("checkpoint_every", checkpoint_every, 1)
    jit_compile = checks.choice("jit_compile", jit_compile, (False, True))
    checkpoint_dir = Path(checkpoint_dir or run_dir(n_labels, seed))
    set_seed(seed, deterministic=not jit_compile)
    if retrain and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
    # the data-dependent init draws no random numbers: a restore overwrites it with the saved weights
    init_idx = np.random.default_rng(seed).choice(n_unl, min(config.SSGAN_INIT_BATCH, n_unl), replace=False)
    init = data["x_unlabelled"][init_idx]
    steps = n_unl // batch_size
    model = build_ssgan(
        init,
        learning_rate=learning_rate,
        ema_decay=ema_decay,
        seed=seed,
        jit_compile=jit_compile,
        steps_per_execution=steps,
    )
    settings = {
        "n_labels": n_labels,
        "n_unlabelled": n_unl,
        "n_val": len(data["y_val"]),
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "decay_start": decay_start,
        "ema_decay": ema_decay,
        "seed": seed,
        "step": "fused",  # the one step (and matrix products in float32): kept, as the saved states record them
        "matmul_dtype": "float32",
        "patience": patience,
    }
    ckpt = TrainingCheckpoint(
        checkpoint_dir,
        max_to_keep=2,
        settings=settings,
        generator=model.generator,
        discriminator=model.discriminator,
        ema_discriminator=model.ema_discriminator,
        best_discriminator=model.best_discriminator,
        g_optimizer=model.g_optimizer,
        d_optimizer=model.d_optimizer,
        rng_state=rng_state(model.generator, model.discriminator),
    )
    start, history = ckpt.resume(epochs, f"the SSGAN ({n_labels} labels, seed {seed})", empty_history())
    if finished(history, epochs):
        if "stopped_at" in history:
            print(f"Stopped early at epoch {history['stopped_at']} (no better validation accuracy for {patience}).")
        return model, history
    model.fit(
        ssgan_batches(data["x_train"], data["y_train"], data["x_unlabelled"], batch_size, start, epochs, seed),
        epochs=epochs,
        initial_epoch=start,
        steps_per_epoch=steps,
        callbacks=[
            EpochLog(history, data["x_val"], data["y_val"], learning_rate, decay_start, epochs, patience),
            *([_epoch_log(log_dir, history, seed)] if log_dir is not None else []),
            PeriodicCheckpoint(ckpt, history, checkpoint_every, epochs),  # also saves an early stop
        ],
        shuffle=False,  # ssgan_batches already shuffles, per epoch and resumably
        verbose=verbose,
    )
    return model, history


def _epoch_log(log_dir: Path, history: dict, seed: int):
    """The TensorBoard callback of a run: the epoch's losses and test accuracies, and 50 samples per epoch."""
    from digitgan.quality import noise
    from digitgan.training import GanLog

    keys = ("loss_lab", "loss_unl", "g_loss", "train_error", "val_accuracy", "val_accuracy_raw")
    return GanLog(log_dir, history, noise(50, -1, "uniform", seed=seed), epoch_keys=keys, ncols=10)


def summarize(
    history: dict,
    data: dict,
    y_pred: np.ndarray,
    confused,
    seed: int,
    run_settings: dict,
    learning_rate_choice: list[dict],
) -> dict:
    """What results.json records under ``"ssgan"`` (like :func:`digitgan.training.summarize`): the kept weights'
    test accuracy (the one reading of the test set), the validation curves and the learning-rate choice."""
    best = history["best"]
    return {
        "n_labels": len(data["y_train"]),
        "n_train": len(data["y_train"]),
        "n_val": len(data["y_val"]),
        "n_unlabelled": len(data["x_unlabelled"]),
        "seed": seed,
        "epochs": len(history["epoch_seconds"]),
        "max_epochs": run_settings["epochs"],
        "stopped_at": history.get("stopped_at"),
        "patience": run_settings["patience"],
        "learning_rate": run_settings["learning_rate"],
        "decay_start": run_settings["decay_start"],
        "kept_epoch": best["epoch"],
        "kept_weights": best["weights"],
        "val_accuracy": best["val_accuracy"],
        "test_accuracy": float(np.mean(y_pred == data["y_test"])),
        "seconds": round(sum(history["epoch_seconds"]), 1),
        "seconds_per_epoch": round(float(np.mean(history["epoch_seconds"])), 1),
        "history": {k: [round(float(v), 5) for v in vals] for k, vals in history.items() if isinstance(vals, list)},
        "learning_rate_choice": learning_rate_choice,
        "most_confused": confused.to_dict("records"),
        "label_indices": data["label_indices"],
        "val_indices": data["val_indices"],
    }
