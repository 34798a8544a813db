"""Reading documents: folders, formats, encodings, metadata and language.

Every file found yields at least one :class:`Document`; a file that cannot
be read yields a document carrying an ``error`` instead of being skipped.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import DocumentError

__all__ = [
    "Document",
    "SUPPORTED_SUFFIXES",
    "iter_documents",
    "read_file",
    "decode_bytes",
    "detect_language",
    "normalize_date",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".pdf", ".json", ".jsonl")


@dataclass(frozen=True)
class Document:
    """One article as read from disk or given in memory.

    ``text`` is the extracted text every offset in a scored record refers to.
    ``error`` is set, and ``text`` empty, when reading failed.
    """

    id: str
    text: str
    path: str | None = None
    title: str | None = None
    date: str | None = None
    url: str | None = None
    lang: str | None = None
    error: DocumentError | None = None

    def with_language(self) -> "Document":
        """Return a copy whose ``lang`` is detected from the text when it was not given."""
        if self.lang or not self.text:
            return self
        return replace(self, lang=detect_language(self.text))


# --------------------------------------------------------------------------- encodings

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` with a detected encoding.

    Returns
    -------
    text, encoding : tuple of str
        A byte-order mark wins; then strict UTF-8; then charset-normalizer's
        best guess (cp1251, GB18030, Shift-JIS, ...).

    Raises
    ------
    DocumentError
        If no encoding decodes the bytes.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(
            "could not detect the text encoding; save the file as UTF-8 and score it again"
        )
    return str(best), best.encoding


# --------------------------------------------------------------------------- language

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_LANGS = ["en", "fr", "de", "es", "it", "pt", "nl", "pl", "tr", "vi", "id", "sv", "cs", "ro"]
_CYRILLIC_LANGS = ["ru", "uk", "bg", "sr", "be", "kk", "mn"]
_identifiers: dict[str, Any] = {}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the dominant language of ``text``, or ``None`` if it has no letters.

    The script decides first (Han → ``zh``, Arabic → ``ar``), then py3langid
    chooses among the languages written in that script. Mixed texts get the
    language of the majority of their letters.
    """
    sample = text[:4000]
    letters = len(_LETTER.findall(sample))
    if letters == 0:
        return None
    han = len(_CJK.findall(sample))
    cyr = len(_CYRILLIC.findall(sample))
    arb = len(_ARABIC.findall(sample))
    # A Han character carries about as much as two letters of an alphabet.
    weighted = {"han": 2 * han, "cyr": cyr, "arb": arb, "other": letters - han - cyr - arb}
    script = max(weighted, key=lambda k: weighted[k])
    if script == "han":
        return "zh"
    if script == "arb":
        return "ar"
    langs = _CYRILLIC_LANGS if script == "cyr" else _LATIN_LANGS
    return _langid(tuple(langs)).classify(sample)[0]


def _langid(langs: tuple[str, ...]) -> Any:
    key = ",".join(langs)
    if key not in _identifiers:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
        ident.set_languages(list(langs))
        _identifiers[key] = ident
    return _identifiers[key]


# --------------------------------------------------------------------------- dates

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def normalize_date(value: object) -> str | None:
    """``YYYY-MM-DD`` for a date-like value (ISO string, datetime), else ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.strftime("%Y-%m-%d")
    m = _ISO_DATE.search(str(value))
    if m:
        try:
            return _dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    try:
        from dateutil import parser as _parser

        return _parser.parse(str(value), fuzzy=False).date().isoformat()
    except (ValueError, OverflowError, ImportError):
        return None


# --------------------------------------------------------------------------- readers


def _read_text(path: Path) -> tuple[str, str | None, str | None]:
    text, _ = decode_bytes(path.read_bytes())
    return text, None, None


def _read_html(path: Path) -> tuple[str, str | None, str | None]:
    import trafilatura

    html, _ = decode_bytes(path.read_bytes())
    raw = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, as_dict=True)
    doc: dict[str, Any] = raw if isinstance(raw, dict) else {}
    text = str(doc.get("text") or "")
    if not text.strip():
        raise DocumentError(
            "the HTML extractor found no main text; check the page holds the article body"
        )
    title = doc.get("title")
    return text, str(title) if title else None, normalize_date(doc.get("date"))


def _read_pdf(path: Path) -> tuple[str, str | None, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(f"could not parse the PDF ({exc}); check the file is a valid PDF") from exc
    text = "\n\n".join(_reflow(p.strip()) for p in pages if p.strip())
    if not text:
        raise DocumentError("the PDF has no text layer (a scan?); run OCR on it first")
    title = str(meta.title) if meta is not None and meta.title else None
    date = normalize_date(meta.creation_date) if meta is not None else None
    return text, title, date


_HARD_WRAP = re.compile(r"(?<=[^\s.!?:;。！？])[ \t]*\n(?=[^\n])")


def _reflow(page: str) -> str:
    """Join lines that a PDF wrapped inside a sentence; keep breaks after terminal punctuation."""
    return _HARD_WRAP.sub(" ", page)


_SINGLE_READERS = {
    ".txt": _read_text,
    ".md": _read_text,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
}


def _doc_from_mapping(obj: object, default_id: str, rel: str) -> Document:
    if not isinstance(obj, dict):
        raise DocumentError(f"expected a JSON object with a 'text' field, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DocumentError("the JSON object has no non-empty 'text' field")
    doc_id = obj.get("id")
    lang = obj.get("lang")
    return Document(
        id=str(doc_id) if doc_id not in (None, "") else default_id,
        text=text,
        path=rel,
        title=str(obj["title"]) if obj.get("title") else None,
        date=normalize_date(obj.get("date")),
        url=str(obj["url"]) if obj.get("url") else None,
        lang=str(lang) if isinstance(lang, str) and lang else None,
    )


def _iter_json_lines(path: Path, rel: str) -> Iterator[Document]:
    try:
        text, _ = decode_bytes(path.read_bytes())
    except (OSError, DocumentError) as exc:
        yield _failed(rel, rel, exc)
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        default_id = f"{rel}#{lineno}"
        try:
            yield _doc_from_mapping(json.loads(line), default_id, rel)
        except json.JSONDecodeError as exc:
            yield _failed(default_id, rel, DocumentError(f"line {lineno} is not valid JSON: {exc.msg}"))
        except DocumentError as exc:
            yield _failed(default_id, rel, DocumentError(f"line {lineno}: {exc}"))


def _iter_json(path: Path, rel: str) -> Iterator[Document]:
    try:
        text, _ = decode_bytes(path.read_bytes())
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _failed(rel, rel, DocumentError(f"not valid JSON: {exc.msg} at line {exc.lineno}"))
        return
    except (OSError, DocumentError) as exc:
        yield _failed(rel, rel, exc)
        return
    items = data if isinstance(data, list) else [data]
    for i, obj in enumerate(items):
        default_id = rel if len(items) == 1 else f"{rel}#{i + 1}"
        try:
            yield _doc_from_mapping(obj, default_id, rel)
        except DocumentError as exc:
            yield _failed(default_id, rel, exc)


def _failed(doc_id: str, rel: str | None, exc: BaseException) -> Document:
    err = exc if isinstance(exc, DocumentError) else DocumentError(f"{type(exc).__name__}: {exc}")
    return Document(id=doc_id, text="", path=rel, error=err)


def read_file(path: str | Path, *, root: str | Path | None = None) -> Iterator[Document]:
    """Yield the documents in one file (several for ``.jsonl`` and JSON lists).

    Parameters
    ----------
    path : str or Path
        The file to read.
    root : str or Path, optional
        Folder that document ids and paths are made relative to.
    """
    path = Path(path)
    rel = path.relative_to(root).as_posix() if root is not None else path.as_posix()
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _iter_json_lines(path, rel)
        return
    if suffix == ".json":
        yield from _iter_json(path, rel)
        return
    reader = _SINGLE_READERS.get(suffix)
    if reader is None:
        yield _failed(
            rel,
            rel,
            DocumentError(
                f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
            ),
        )
        return
    try:
        text, title, date = reader(path)
    except DocumentError as exc:
        yield _failed(rel, rel, exc)
        return
    except OSError as exc:
        yield _failed(rel, rel, DocumentError(f"could not read the file: {exc}"))
        return
    if not text.strip():
        yield _failed(rel, rel, DocumentError("the file holds no text"))
        return
    yield Document(id=rel, text=text, path=rel, title=title, date=date)


def _walk(root: Path) -> Iterable[Path]:
    for p in sorted(root.rglob("*"), key=lambda q: q.relative_to(root).as_posix()):
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts):
            yield p


def iter_documents(source: str | Path) -> Iterator[Document]:
    """Yield every document under ``source``, a folder (read recursively) or a single file.

    Files are visited in sorted order of their relative paths, so the output
    order is stable. Hidden files and folders (names starting with ``.``) are
    skipped; every other file yields at least one document, possibly one
    carrying an error (unsupported type, unreadable, empty).

    Raises
    ------
    DocumentError
        If ``source`` does not exist.
    """
    source = Path(source)
    if not source.exists():
        raise DocumentError(f"no such file or folder: {str(source)!r}")
    if source.is_file():
        yield from read_file(source, root=source.parent)
        return
    for path in _walk(source):
        yield from read_file(path, root=source)
