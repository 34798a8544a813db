"""Exceptions raised by sinorus.

Every error sinorus raises derives from :class:`SinorusError`; errors from
other libraries are translated into these at the module boundary.
"""

from __future__ import annotations

__all__ = [
    "SinorusError",
    "ConfigError",
    "DocumentError",
    "ModelLoadError",
    "UnsafeModelError",
    "BodyMismatchError",
    "BodyUnavailableError",
    "DataError",
]


class SinorusError(Exception):
    """Base class of every error raised by sinorus."""


class ConfigError(SinorusError, ValueError):
    """A configuration value is out of range or of the wrong kind."""


class DocumentError(SinorusError):
    """A document could not be read or has no usable text."""


class ModelLoadError(SinorusError):
    """A model folder is missing, incomplete or malformed."""


class UnsafeModelError(ModelLoadError):
    """A model folder holds content that could run code when loaded."""


class BodyMismatchError(ModelLoadError):
    """The installed embedding body differs from the one a model was trained with."""


class BodyUnavailableError(SinorusError):
    """An embedding body is unknown or its package is not installed."""


class DataError(SinorusError, ValueError):
    """Training or evaluation data breaks the corpus schema."""
