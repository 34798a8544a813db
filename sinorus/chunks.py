"""Sentences and chunks: the text units that reach the embedding body.

A chunk is one sentence (or the document title). A sentence longer than the
body's token limit is cut at word boundaries into several chunks, so nothing
is ever truncated: the tokens of a document's chunks add up to its tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Span", "Chunk", "split_sentences", "make_chunks", "cut_long_span"]

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Span:
    """A ``[start, end)`` character range of a text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A unit of text sent to the body.

    ``start``/``end`` are offsets into the document text; both are ``-1``
    for the title chunk, which is not part of the text.
    """

    text: str
    start: int
    end: int
    tokens: int

    @property
    def is_title(self) -> bool:
        return self.start < 0


_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen lt col maj capt cmdr adm sgt st jr sr vs etc inc ltd co corp no nos
    fig jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e approx est dept gov
    sen rep rev mt ft rs т.е т.д т.п г гг им ул стр тыс млн млрд руб долл см напр др""".split()
)
# End of a sentence in alphabetic scripts: terminal punctuation, optional closing quotes or
# brackets, then whitespace. CJK and Arabic terminal marks end a sentence with no space after.
_LATIN_END = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s)")
_CJK_END = re.compile(r"[。！？!?；;…]+[”」』）》\"']*")
_ARABIC_END = re.compile(r"[.!؟?]+(?=\s)")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the '.' ending at ``end`` belongs to an abbreviation or an initial."""
    if text[end - 1] != ".":
        return False
    m = _WORD_BEFORE.search(text[max(0, end - 12):end])
    if m is None:
        return False
    word = m.group(1).lower()
    if word in _ABBREVIATIONS:
        return True
    # A single letter ("J. Smith", "U.S.") is an initial.
    return len(word.replace(".", "")) <= 1


def _next_starts_sentence(text: str, pos: int) -> bool:
    i = pos
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        return True
    ch = text[i]
    return not ch.islower()


def _split_line(text: str, start: int, end: int) -> list[Span]:
    line = text[start:end]
    cuts: list[int] = []
    for m in _CJK_END.finditer(line):
        if _HAS_CJK.search(line[max(0, m.start() - 2):m.start()]) or m.group(0)[0] in "。！？；":
            cuts.append(m.end())
    for pattern in (_LATIN_END, _ARABIC_END):
        for m in pattern.finditer(line):
            if _is_abbreviation(line, m.start() + len(m.group(0).rstrip("\"'»”’)]"))):
                continue
            if _next_starts_sentence(line, m.end()):
                cuts.append(m.end())
    spans: list[Span] = []
    prev = 0
    for cut in sorted(set(cuts)) + [len(line)]:
        piece = line[prev:cut]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece.rstrip())
            spans.append(Span(start + prev + lead, start + prev + trail))
        prev = cut
    return spans


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentence spans.

    Lines are split apart first (paragraphs, headings, list items), then each
    line at terminal punctuation of Latin, Cyrillic, Arabic and CJK scripts
    (``. ! ? … 。 ！ ？ ؟``), keeping abbreviations and initials together.

    Returns
    -------
    list of Span
        Non-overlapping spans in text order, stripped of surrounding whitespace;
        ``text[span.start:span.end]`` is the sentence.
    """
    spans: list[Span] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        end = pos + len(line.rstrip("\r\n"))
        if text[pos:end].strip():
            spans.extend(_split_line(text, pos, end))
        pos += len(line)
    return spans


_BREAK = re.compile(r"\s+|(?<=[\u3400-\u9fff，、,；;：:])")


def cut_long_span(text: str, span: Span, limit: int, count: TokenCounter) -> list[Span]:
    """Cut a span whose token count exceeds ``limit`` into spans of at most ``limit`` tokens.

    Cuts fall at whitespace, or between CJK characters and after commas in text
    without spaces; a single unbroken word longer than the limit is cut between
    characters. The pieces cover every non-space character of the span.
    """
    piece = text[span.start:span.end]
    # Candidate cut points: word boundaries, or every character if there are too few.
    points = sorted({m.start() for m in _BREAK.finditer(piece) if 0 < m.start() < len(piece)})
    if len(points) < 2 * max(1, len(piece) // 400):
        points = list(range(1, len(piece)))
    out: list[Span] = []
    lo = 0
    while lo < len(piece):
        rest = [p for p in points if p > lo] + [len(piece)]
        # Largest candidate end whose text fits, by binary search over candidates.
        good, left, right = rest[0], 0, len(rest) - 1
        while left <= right:
            mid = (left + right) // 2
            if count([piece[lo:rest[mid]]])[0] <= limit:
                good, left = rest[mid], mid + 1
            else:
                right = mid - 1
        seg = piece[lo:good]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            out.append(Span(span.start + lo + lead, span.start + lo + len(seg.rstrip())))
        lo = good
    return out


def make_chunks(
    text: str,
    title: str | None,
    *,
    limit: int,
    count: TokenCounter,
    sentences: Sequence[Span] | None = None,
) -> list[Chunk]:
    """Chunks of one document: the title (if any), then each sentence of ``text``.

    Parameters
    ----------
    text : str
        The document text that offsets refer to.
    title : str or None
        The title; it becomes the first chunk when given.
    limit : int
        Longest chunk in body tokens (special tokens excluded).
    count : callable
        Token counts for a list of strings, from the body's tokenizer.
    sentences : sequence of Span, optional
        Pre-computed sentence spans of ``text``.
    """
    spans = list(split_sentences(text) if sentences is None else sentences)
    pieces = ([title.strip()] if title and title.strip() else []) + [text[s.start:s.end] for s in spans]
    counts = count(pieces) if pieces else []
    chunks: list[Chunk] = []
    offset = 0
    if title and title.strip():
        chunks.extend(_fit(title.strip(), Span(-1, -1), counts[0], limit, count))
        offset = 1
    for span, n in zip(spans, counts[offset:]):
        chunks.extend(_fit(text, span, n, limit, count))
    return chunks


def _fit(text: str, span: Span, n: int, limit: int, count: TokenCounter) -> list[Chunk]:
    if span.start < 0:  # the title: its own text, no offsets
        if n <= limit:
            return [Chunk(text, -1, -1, n)]
        parts = cut_long_span(text, Span(0, len(text)), limit, count)
        sizes = count([text[p.start:p.end] for p in parts])
        return [Chunk(text[p.start:p.end], -1, -1, k) for p, k in zip(parts, sizes)]
    if n <= limit:
        return [Chunk(text[span.start:span.end], span.start, span.end, n)]
    parts = cut_long_span(text, span, limit, count)
    sizes = count([text[p.start:p.end] for p in parts])
    return [Chunk(text[p.start:p.end], p.start, p.end, k) for p, k in zip(parts, sizes)]
