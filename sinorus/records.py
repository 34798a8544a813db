"""The scored record: one per input document, scored or carrying an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "THEMES",
    "INDICATORS",
    "ACTORS",
    "Evidence",
    "IndicatorResult",
    "Coverage",
    "ErrorInfo",
    "Record",
]

THEMES: tuple[str, ...] = ("procurement", "exercises", "intel_sharing", "tech_transfer")
INDICATORS: tuple[str, ...] = (
    "deal_depth",
    "exercise_complexity",
    "intel_tech_collab",
    "diplomatic_signaling",
)
ACTORS: tuple[str, ...] = ("china", "russia")


@dataclass(frozen=True)
class Evidence:
    """A sentence supporting an indicator; ``text == record_text[start:end]``."""

    text: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "score": round(self.score, 4)}


@dataclass(frozen=True)
class IndicatorResult:
    """Level 0 (absent), 1 (mentioned or weak) or 2 (clear), a score in [0, 1], and evidence."""

    level: int
    score: float
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "score": round(self.score, 4),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class Coverage:
    """How much of a document reached the body: no truncation means ``embedded_tokens == tokens``."""

    tokens: int = 0
    embedded_tokens: int = 0
    chunks: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"tokens": self.tokens, "embedded_tokens": self.embedded_tokens, "chunks": self.chunks}


@dataclass(frozen=True)
class ErrorInfo:
    """Why a document was not scored, and what to do about it."""

    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True)
class Record:
    """The result for one input document.

    A record with ``error`` set has no scores (``themes``, ``relevance``,
    ``relevant`` and ``indicators`` are ``None``) but keeps the document's
    identity, so every input yields exactly one record.
    """

    id: str
    path: str | None = None
    title: str | None = None
    date: str | None = None
    lang: str | None = None
    text: str = field(default="", repr=False)
    themes: dict[str, float] | None = None
    labels: tuple[str, ...] = ()
    relevance: float | None = None
    relevant: bool | None = None
    dyad: tuple[str, ...] = ()
    indicators: dict[str, IndicatorResult] | None = None
    coverage: Coverage = field(default_factory=Coverage)
    error: ErrorInfo | None = None

    @property
    def text_chars(self) -> int:
        return len(self.text)

    def to_dict(self, *, with_text: bool = False) -> dict[str, Any]:
        """The record as plain JSON types, in the documented schema order."""
        out: dict[str, Any] = {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "date": self.date,
            "lang": self.lang,
            "text_chars": self.text_chars,
            "themes": None if self.themes is None else {k: round(v, 4) for k, v in self.themes.items()},
            "labels": list(self.labels),
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "relevant": self.relevant,
            "dyad": list(self.dyad),
            "indicators": None
            if self.indicators is None
            else {k: v.to_dict() for k, v in self.indicators.items()},
            "coverage": self.coverage.to_dict(),
            "error": None if self.error is None else self.error.to_dict(),
        }
        if with_text:
            out["text"] = self.text
        return out
