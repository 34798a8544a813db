"""sinorus: triage news about Sino-Russian defense cooperation.

>>> import sinorus
>>> model = sinorus.load()                                    # doctest: +SKIP
>>> record = model.score("Chinese and Russian warships began Joint Sea drills.")  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .config import Config
from .documents import Document, iter_documents
from .errors import (
    BodyMismatchError,
    BodyUnavailableError,
    ConfigError,
    DataError,
    DocumentError,
    ModelLoadError,
    SinorusError,
    UnsafeModelError,
)
from .model import SinorusModel, load
from .records import INDICATORS, THEMES, Coverage, ErrorInfo, Evidence, IndicatorResult, Record

__all__ = [
    "__version__",
    "load",
    "SinorusModel",
    "Config",
    "Document",
    "iter_documents",
    "Record",
    "IndicatorResult",
    "Evidence",
    "Coverage",
    "ErrorInfo",
    "THEMES",
    "INDICATORS",
    "SinorusError",
    "ConfigError",
    "DocumentError",
    "DataError",
    "ModelLoadError",
    "UnsafeModelError",
    "BodyMismatchError",
    "BodyUnavailableError",
]
