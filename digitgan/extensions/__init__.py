"""Notebooks 07-11's extensions, on the core (which never imports them); importing them registers their full sizes."""

from digitgan import config
from digitgan.extensions import constants

config.FULL_SIZE.update(constants.FULL_SIZE)
