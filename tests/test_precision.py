"""Precision and XLA are explicit settings: "float32" or "mixed_bfloat16", XLA on or off; nothing is chosen by
measuring the machine, and any other value is refused before anything is built."""

import numpy as np
import pytest

from digitgan import gan


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"precision": "float16"}, "precision"),
        ({"precision": "auto"}, "precision"),  # no longer chosen by measuring the machine
        ({"jit_compile": "auto"}, "jit_compile"),
    ],
)
def test_other_precisions_or_xla_values_are_refused_before_anything_is_built(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        gan.train_gan(np.zeros((10, 28, 28, 1), "float32"), epochs=1, batch_size=5, checkpoint_dir=tmp_path / "c",
                      **change)  # fmt: skip
    assert not (tmp_path / "c").exists()


def test_training_defaults_are_the_studys_settings():
    import inspect

    from digitgan import config

    for function in (gan.train_gan, gan.build_dcgan):
        parameters = inspect.signature(function).parameters
        assert parameters["jit_compile"].default is config.GAN_XLA is False
        assert parameters["precision"].default == config.GAN_PRECISION == "float32"
    assert gan.PRECISIONS == ("float32", "mixed_bfloat16")
