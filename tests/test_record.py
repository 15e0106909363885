"""The study's record: committed weights load only with their committed SHA-256; keys of trained results hold the
networks' architecture and the optimizer's real settings."""

import shutil

import keras
import numpy as np
import pytest

from digitgan import checkpoint, config, fileio, gan, models, store

COMMITTED = config.PROJ_ROOT / "checkpoints"


@pytest.fixture()
def committed_copy(tmp_path, monkeypatch):
    """A copy of the committed checkpoints as the study's checkpoint folder."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for name in ("MANIFEST.json", config.DISCRIMINATOR_FILE, config.GENERATOR_FILE, "trial1.weights.h5"):
        shutil.copy(COMMITTED / name, folder / name)
    monkeypatch.setattr(config, "CHECKPOINT_DIR", folder)
    monkeypatch.setattr(config, "COMMITTED_DIRS", (tmp_path / "figures", folder))  # the copy stands for the record
    return folder


def test_a_flipped_byte_in_a_committed_weights_file_is_refused_with_its_name(committed_copy):
    path = committed_copy / config.DISCRIMINATOR_FILE
    assert gan.load_discriminator(path).name == "discriminator"  # the committed file loads
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte inside the weights: h5py still reads it
    path.write_bytes(bytes(data))
    with pytest.raises(fileio.DataFileError, match=r"discriminator\.weights\.h5 is not the committed file") as err:
        gan.load_discriminator(path)
    assert "git checkout -- " in str(err.value)


def test_committed_digests_come_from_the_manifest_and_the_dcgan_pair(committed_copy, tmp_path):
    assert store.committed_sha256(committed_copy / "trial1.weights.h5") == store.file_digest(
        COMMITTED / "trial1.weights.h5", None
    )
    assert store.committed_sha256(committed_copy / config.DISCRIMINATOR_FILE) == store.file_digest(
        COMMITTED / config.DISCRIMINATOR_FILE, None
    )
    assert store.committed_sha256(tmp_path / "runs" / "x" / config.DISCRIMINATOR_FILE) is None  # a scratch run's


def test_the_study_runner_rewriting_a_committed_file_updates_its_digest(committed_copy, monkeypatch):
    path = committed_copy / "trial1.weights.h5"
    before = store.committed_sha256(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the bytes another CPU model's rerun could write
    path.write_bytes(bytes(data))
    store.record_committed_digest(path)
    assert store.committed_sha256(path) == store.file_digest(path, None) != before


def test_only_the_study_runner_writes_the_record(committed_copy, monkeypatch):
    monkeypatch.delenv(config.STUDY_RUN_ENV, raising=False)
    target = committed_copy / "cnn.weights.h5"
    with pytest.raises(fileio.StudyRecordError, match="only the study's runner writes"):
        fileio.save_weights(models.build_cnn(), target)
    with pytest.raises(fileio.StudyRecordError):
        fileio.atomic_write_text(committed_copy / "x.json", "{}")
    with pytest.raises(fileio.StudyRecordError):
        fileio.save_results("cnn", {"test_accuracy": 0.1}, committed_copy.parent / "figures" / "results.json")
    assert not target.exists() and not (committed_copy / "x.json").exists()
    monkeypatch.setenv(config.STUDY_RUN_ENV, "1")
    fileio.save_weights(models.build_cnn(), target)
    assert target.is_file()


def _discriminator(rate: float) -> keras.Model:
    model = models.build_discriminator()
    config_ = model.get_config()
    for layer in config_["layers"]:
        if layer["class_name"] == "Dropout":
            layer["config"]["rate"] = rate
    return keras.Sequential.from_config(config_)


def test_the_architecture_digest_sees_a_dropout_rate_and_the_precision_not_layer_numbering():
    a = store.architecture_digest(models.build_generator(), models.build_discriminator())
    assert store.architecture_digest(models.build_generator(), models.build_discriminator()) == a
    assert store.architecture_digest(models.build_generator(), _discriminator(0.5)) != a
    bf16 = gan.build_dcgan(jit_compile=False, precision="mixed_bfloat16")
    assert store.architecture_digest(bf16.generator, bf16.discriminator) != a
    assert store.STUDY_EXPORT["settings"]["architecture"] == a  # the committed pair's networks are today's


def test_the_learning_rate_recorded_is_the_one_trained(monkeypatch):
    monkeypatch.setattr(config, "GAN_LEARNING_RATE", 2e-4)
    model = gan.build_dcgan(jit_compile=False)
    settings = checkpoint.run_settings(np.zeros((4, 28, 28, 1), "float32"), 2, 42, "float32", False, model)
    assert settings["learning_rate"] == 2e-4
    assert float(model.d_optimizer.learning_rate.numpy()) == pytest.approx(2e-4)


def test_an_exported_pair_without_the_architecture_is_not_reused(tmp_path):
    model = gan.build_dcgan(jit_compile=False)
    asked = checkpoint.run_settings(np.zeros((4, 28, 28, 1), "float32"), 2, 42, "float32", False, model)
    record = {"epochs": 1, "settings": {k: v for k, v in asked.items() if k != "architecture"}}
    with pytest.raises(ValueError, match="architecture: exported 'not recorded'"):
        store.check_export_settings(record, tmp_path / "m.json", 1, asked)
    store.check_export_settings({"epochs": 1, "settings": asked}, tmp_path / "m.json", 1, asked)
    other = {**asked, "architecture": store.architecture_digest(model.generator, _discriminator(0.5))}
    with pytest.raises(ValueError, match="architecture"):
        store.check_export_settings({"epochs": 1, "settings": other}, tmp_path / "m.json", 1, asked)


def test_a_cached_result_is_keyed_by_an_edited_network_and_the_precision(committed_copy, tmp_path, monkeypatch):
    from digitgan.extensions import label_efficiency, protocols

    monkeypatch.setattr(config, "DISCRIMINATOR_PATH", committed_copy / config.DISCRIMINATOR_FILE)
    for name in ("cnn", "trial3"):
        assert store.architecture_digest(protocols.classifier(name)) == protocols.STUDY_ARCHITECTURE[name]
    study = protocols.Study(1_000, tmp_path)
    base = study.inputs("trial3", "sgd", 0.01, 15, 42)
    assert "architecture" not in base and "policy" not in base  # the study's runs keep their keys
    label = label_efficiency.settings("trial3", 100)
    original = protocols.classifier

    def edited(name):  # trial 3's head with another activation, as an edit of transfer.py would make it
        model = original(name)
        config_ = model.get_config()
        config_["layers"][-2]["config"]["activation"] = "relu"
        return keras.Sequential.from_config(config_)

    monkeypatch.setattr(protocols, "classifier", edited)
    changed = study.inputs("trial3", "sgd", 0.01, 15, 42)
    assert store.key(changed) != store.key(base) and "architecture" in changed
    assert "architecture" in label_efficiency.settings("trial3", 100) != label
    monkeypatch.setattr(protocols, "classifier", original)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        assert study.inputs("trial3", "sgd", 0.01, 15, 42)["policy"] == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_a_longer_gan_stage_of_edited_networks_has_its_own_key(monkeypatch):
    from digitgan import models as model_builders
    from digitgan.extensions import longer_gan

    assert longer_gan._edited_networks() == {}  # the study's networks: the stored stages keep their keys
    edited = _discriminator(0.5)
    monkeypatch.setattr(model_builders, "build_discriminator", lambda: edited)
    assert set(longer_gan._edited_networks()) == {"architecture"}


def test_the_study_seeds_keys_name_a_stable_architecture():
    from digitgan.extensions import protocols, study_seeds

    digests = {store.architecture_digest(study_seeds._build("cnn", seed)) for seed in (42, 43)}
    assert digests == {protocols.STUDY_ARCHITECTURE["cnn"]}


def test_a_stored_run_names_the_machine_that_computed_it(tmp_path):
    from digitgan import utils
    from digitgan.store import Store

    store = Store(tmp_path / "runs.json")
    stored = store.put({"seed": 42}, {"test_accuracy": 0.9})
    assert stored["machine"] == utils.machine() == Store(tmp_path / "runs.json").get({"seed": 42})["machine"]
    elsewhere = {"test_accuracy": 0.9, "machine": {"cpu": "elsewhere"}}  # a result that names its own machine keeps it
    assert store.put({"seed": 43}, elsewhere)["machine"] == {"cpu": "elsewhere"}
