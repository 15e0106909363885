"""The study's extensions (notebooks 07-11): the semi-supervised GAN, the label study, the longer GAN, training
protocols, the conditional GAN and training on generated digits. They build on the core (``digitgan``); the core
never imports them. Importing them registers notebooks 07-11's full-size parameters with the core's run record."""

from digitgan import config
from digitgan.extensions import constants

config.FULL_SIZE.update(constants.FULL_SIZE)
