"""The one typed configuration object shared by scoring and training."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Config"]

_DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class Config:
    """Settings for reading, chunking, embedding, training and scoring.

    Parameters
    ----------
    body : str
        Name of the embedding body (see :func:`sinorus.embeddings.available_bodies`);
        ``"a+b"`` concatenates bodies and ``"a@en"`` uses ``a`` for English
        documents only. The default, MiniLM for English next to USE
        multilingual for every language, won the body comparison in the README.
    chunk_tokens : int or None
        Longest chunk in body tokens; ``None`` uses the body's own limit.
        Chunks are whole sentences; a sentence longer than this is split at
        word boundaries, never truncated.
    batch_size : int
        Chunks sent to the body per call.
    doc_batch : int
        Documents read and scored together when scoring a folder.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    cache_dir : Path or None
        Folder of the embedding cache; ``None`` disables caching.
    max_evidence : int
        Most evidence sentences reported per indicator.
    C : float
        Inverse regularisation strength of the logistic heads.
    cv_folds : int
        Folds used for out-of-fold calibration and threshold tuning.
    seed : int
        Seed for every random step of training.
    """

    body: str = "all-MiniLM-L6-v2@en+use-multilingual-v3"
    chunk_tokens: int | None = None
    batch_size: int = 32
    doc_batch: int = 32
    device: str = "cpu"
    cache_dir: Path | None = None
    max_evidence: int = 3
    C: float = 0.3
    cv_folds: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        _positive("batch_size", self.batch_size)
        _positive("doc_batch", self.doc_batch)
        _positive("max_evidence", self.max_evidence)
        if self.chunk_tokens is not None:
            _positive("chunk_tokens", self.chunk_tokens)
            if self.chunk_tokens < 8:
                raise ConfigError(
                    f"chunk_tokens must be at least 8 so a word fits in a chunk, got {self.chunk_tokens}"
                )
        if self.device not in _DEVICES:
            raise ConfigError(f"device must be one of {_DEVICES}, got {self.device!r}")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ConfigError(f"C must be a positive number, got {self.C!r}")
        if not (isinstance(self.cv_folds, int) and self.cv_folds >= 2):
            raise ConfigError(f"cv_folds must be an integer >= 2, got {self.cv_folds!r}")
        if self.cache_dir is not None and not isinstance(self.cache_dir, Path):
            object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    def replace(self, **changes: Any) -> "Config":
        """Return a copy with ``changes`` applied and checked."""
        return dataclasses.replace(self, **changes)


def _positive(name: str, value: object) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
