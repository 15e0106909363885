"""The study's CNN (01) and trials 1-3 (03-05) at training seeds 42-44, on its seed-42 subset and original protocol."""

import itertools
import json

from digitgan import config, gan, training, transfer, utils
from digitgan.data import load_study_data
from digitgan.extensions import constants
from digitgan.models import build_cnn
from digitgan.store import Store, architecture_digest, array_digest, file_digest

SEEDS = (42, 43, 44)  # 42 is the study's own run, retrained here beside the others
MODELS = ("cnn", "trial1", "trial2", "trial3")  # the study's own


def _build(name: str, seed: int):
    """The untrained model, seeded as notebooks 01 and 03-05 seed it (after loading the discriminator)."""
    discriminator = None if name == "cnn" else gan.load_discriminator(config.DISCRIMINATOR_PATH)
    utils.set_seed(seed)
    if name == "cnn":
        return build_cnn()
    return transfer.discriminator_to_classifier(discriminator, head=constants.trial_schedule(name)[0])


def run_inputs(name: str, seed: int, data: dict) -> dict:
    """Everything that makes one run's result: the key of its record in the store."""
    inputs = {"part": "study seeds", "model": name, "seed": seed, "subset_seed": config.SEED}
    inputs |= {"epochs": config.TRANSFER_EPOCHS, "learning_rate": config.SGD_LEARNING_RATE}
    inputs["batch_size"] = config.BATCH_SIZE
    inputs["data"] = array_digest(data["x_train"], data["y_train"], data["x_test"], data["y_test"])
    inputs["architecture"] = architecture_digest(_build(name, seed))
    if name != "cnn":
        inputs["head"], inputs["frozen_epochs"] = constants.trial_schedule(name)
        inputs["discriminator_sha256"] = file_digest(config.DISCRIMINATOR_PATH, None)
    return inputs


def train(name: str, seed: int, data: dict) -> tuple:
    """``(model, result)``: one model trained at one training seed with the original protocol."""
    model = _build(name, seed)
    if name == "cnn":
        history, seconds = training.train_classifier(model, data, config.TRANSFER_EPOCHS, verbose=0, seed=seed)
    else:
        trial = transfer.train_schedule(model, data, constants.trial_schedule(name)[1], verbose=0, seed=seed)
        history, seconds = trial["history"], trial["seconds"]
    result = {"test_accuracy": training.accuracy(model, data["x_test"], data["y_test"])}
    return model, {**result, "train_accuracy": float(history["accuracy"][-1]), "seconds": round(seconds, 1)}


if __name__ == "__main__":
    print(utils.versions(), utils.machine(), sep="\n", flush=True)
    store, data = Store(config.STUDY_SEEDS_STORE), load_study_data(config.SUBSET_SIZE, config.SEED)
    for seed, model in itertools.product(SEEDS, MODELS):
        if (result := store.get(inputs := run_inputs(model, seed, data))) is None:
            result = store.put(inputs, train(model, seed, data)[1])
        row = {"model": model, "seed": seed, **result}
        print(json.dumps({k: row[k] for k in ("model", "seed", "test_accuracy", "train_accuracy")}), flush=True)
