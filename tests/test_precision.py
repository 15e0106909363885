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


def test_without_naming_them_a_dcgan_computes_in_float32_without_xla_as_the_study_did(tmp_path):
    """What build_dcgan and train_gan do by default: float32 layers, no XLA, and a training state that records both
    as the committed DCGAN pair's settings have them."""
    import json

    from digitgan import store

    model = gan.build_dcgan()
    assert model.jit_compile is False
    policies = {layer.dtype_policy.name for net in (model.generator, model.discriminator) for layer in net.layers}
    assert policies == {"float32"}
    x = np.zeros((10, 28, 28, 1), "float32")
    gan.train_gan(x, epochs=1, batch_size=5, checkpoint_dir=tmp_path / "c", verbose=0)
    settings = json.loads((tmp_path / "c" / "settings.json").read_text())
    assert settings["jit_compile"] is False and settings["precision"] == store.STUDY_EXPORT["settings"]["precision"]
