"""The sinorus model: a body plus its heads, scoring documents into records.

It also owns the model folder format: ``manifest.json``, ``heads.npz`` (plain
numeric arrays, read with ``allow_pickle=False``) and ``MODEL_CARD.md``.
Loading never runs code from the folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .chunks import Chunk, make_chunks
from .config import Config
from .documents import Document, iter_documents
from .embeddings import Body, EmbeddingCache, embed, get_body
from .errors import (
    BodyMismatchError,
    DocumentError,
    ModelLoadError,
    SinorusError,
    UnsafeModelError,
)
from .heads import CalibratedMultiLabel, LexicalScorer, doc_features, sentence_features
from .records import ACTORS, INDICATORS, THEMES, Coverage, ErrorInfo, Evidence, IndicatorResult, Record

__all__ = ["SinorusModel", "Encoded", "encode_documents", "default_model_path", "load"]

logger = logging.getLogger(__name__)

FORMAT = "sinorus-model"
FORMAT_VERSION = 1
HEADS_FILE = "heads.npz"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "MODEL_CARD.md"
LEXICON_FILE = "lexicon.json"
HEAD_NAMES = ("themes", "relevance", "dyad", "levels", "evidence")
DOC_HEADS = ("themes", "relevance", "dyad", "levels")  # the heads that read whole documents
LEVEL_TARGETS = tuple(f"{ind}>={k}" for ind in INDICATORS for k in (1, 2))
_MANIFEST_KEYS = {
    "format", "format_version", "sinorus_version", "created", "body", "labels", "thresholds",
    "feature_dims", "heads", "config", "training", "metrics", "versions", "lexicon",
}
_UNSAFE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".dill", ".pt", ".pth", ".bin", ".npy", ".skops", ".py"}


def default_model_path() -> Path:
    """The shipped default model: ``$SINORUS_MODEL`` if set, else ``models/default`` of the checkout."""
    env = os.environ.get("SINORUS_MODEL")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "models" / "default"


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class Encoded:
    """A document after chunking and embedding: what the heads read."""

    doc: Document
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    features: np.ndarray

    @property
    def coverage(self) -> Coverage:
        tokens = sum(c.tokens for c in self.chunks)
        return Coverage(tokens=tokens, embedded_tokens=tokens, chunks=len(self.chunks))

    def sentence_rows(self) -> tuple[list[Chunk], np.ndarray]:
        """Chunks of the text (title excluded) and their evidence features."""
        keep = [i for i, c in enumerate(self.chunks) if not c.is_title]
        chunks = [self.chunks[i] for i in keep]
        return chunks, sentence_features(self.vectors[keep], [c.text for c in chunks])


def encode_documents(
    docs: Sequence[Document], body: Body, *, limit: int, cache: EmbeddingCache | None = None
) -> list[Encoded]:
    """Chunk and embed ``docs`` together (one call to the body for the whole batch)."""
    chunked = [tuple(make_chunks(d.text, d.title, limit=limit, count=body.count_tokens)) for d in docs]
    texts = [c.text for chunks in chunked for c in chunks]
    langs = [d.lang for d, chunks in zip(docs, chunked) for _ in chunks]
    vectors = embed(texts, body, cache, languages=langs)
    out: list[Encoded] = []
    pos = 0
    for doc, chunks in zip(docs, chunked):
        vec = vectors[pos:pos + len(chunks)]
        pos += len(chunks)
        out.append(Encoded(doc, chunks, vec, doc_features(vec, [c.text for c in chunks])))
    return out


# --------------------------------------------------------------------------- the model


class SinorusModel:
    """A trained sinorus model: an embedding body and five heads.

    Build one with :func:`sinorus.load` or :func:`sinorus.training.train`.

    Parameters
    ----------
    body : Body
        The embedding body the heads were trained on.
    heads : dict of str to CalibratedMultiLabel
        ``themes`` (4 outputs), ``relevance`` (1), ``dyad`` (2: china, russia),
        ``levels`` (8: each indicator's ``>=1`` and ``>=2``), ``evidence`` (4,
        on sentences).
    config : Config
        Chunking, batching and evidence settings.
    manifest : dict, optional
        What the model was trained on and how well it did.
    lexical : LexicalScorer, optional
        A word and character n-gram head whose outputs are those of
        ``lexical_heads`` side by side.
    lexical_heads : sequence of str
        The document heads the lexical head's outputs belong to, in order.
    lexical_blend : mapping of str to sequence of str
        Language -> the heads whose probabilities are, for documents in that
        language, the mean of the embedding and the lexical head's, cut at
        0.5. Languages not named use the embedding heads alone. The shipped
        blend is chosen by grouped cross-validation on the training splits
        (see ``training.LEXICAL_BLEND``).
    """

    def __init__(
        self,
        body: Body,
        heads: dict[str, CalibratedMultiLabel],
        *,
        config: Config | None = None,
        manifest: dict[str, Any] | None = None,
        lexical: LexicalScorer | None = None,
        lexical_heads: Sequence[str] = ("relevance",),
        lexical_blend: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        missing = set(HEAD_NAMES) - set(heads)
        if missing:
            raise ModelLoadError(f"a model needs the heads {HEAD_NAMES}; missing {sorted(missing)}")
        bad = [h for h in lexical_heads if h not in DOC_HEADS]
        if bad:
            raise ModelLoadError(f"lexical_heads {bad} are not document heads; choose from {DOC_HEADS}")
        blend = {"en": tuple(lexical_heads)} if lexical_blend is None else {
            lang: tuple(hs) for lang, hs in lexical_blend.items()}
        bad = sorted({h for hs in blend.values() for h in hs} - set(lexical_heads))
        if bad:
            raise ModelLoadError(f"lexical_blend names heads {bad} that the lexical head does not serve "
                                 f"(lexical_heads={list(lexical_heads)})")
        if lexical is not None:
            width = sum(len(heads[h].thresholds_) for h in lexical_heads)
            if width != lexical.n_outputs_:
                raise ModelLoadError(f"the lexical head has {lexical.n_outputs_} outputs but lexical_heads "
                                     f"{list(lexical_heads)} need {width}")
        self.body = body
        self.heads = heads
        self.config = config or Config(body=body.name)
        self.manifest = manifest or {}
        self.lexical = lexical
        self.lexical_heads = tuple(lexical_heads)
        self.lexical_blend = blend if lexical is not None else {}
        self._cache: EmbeddingCache | None = None

    def __repr__(self) -> str:
        return f"SinorusModel(body={self.body.name!r}, trained={self.manifest.get('created', '?')!r})"

    @property
    def chunk_limit(self) -> int:
        return min(self.config.chunk_tokens or self.body.max_tokens, self.body.max_tokens)

    @property
    def cache(self) -> EmbeddingCache | None:
        if self._cache is None and self.config.cache_dir is not None:
            self._cache = EmbeddingCache(self.config.cache_dir)
        return self._cache

    # ---- scoring

    def score(self, texts: str | Document | Sequence[str | Document]) -> Any:
        """Score one text (returns a :class:`Record`) or a list (returns a list of records).

        Strings get ids ``"0"``, ``"1"``, ... in order.
        """
        items: list[str | Document] = [texts] if isinstance(texts, (str, Document)) else list(texts)
        single = isinstance(texts, (str, Document))
        docs = [t if isinstance(t, Document) else Document(id=str(i), text=t) for i, t in enumerate(items)]
        records = list(self.score_documents(docs))
        return records[0] if single else records

    def score_folder(self, path: str | Path) -> Iterator[Record]:
        """Score every document under ``path`` (recursively), yielding records in a stable order."""
        return self.score_documents(iter_documents(path))

    def score_documents(self, docs: Iterable[Document]) -> Iterator[Record]:
        """Score documents lazily, ``config.doc_batch`` at a time; one record per document, in order.

        The first batch holds a single document so the first record comes out fast.
        """
        batch: list[Document] = []
        size = 1
        for doc in docs:
            batch.append(doc)
            if len(batch) >= size:
                yield from self._score_batch(batch)
                batch, size = [], self.config.doc_batch
        if batch:
            yield from self._score_batch(batch)

    def _score_batch(self, docs: list[Document]) -> list[Record]:
        ready: list[Document] = []
        results: dict[int, Record] = {}
        for i, doc in enumerate(docs):
            if doc.error is not None:
                results[i] = _error_record(doc, doc.error)
            elif not doc.text.strip() and not (doc.title or "").strip():
                results[i] = _error_record(doc, DocumentError("the document has no text and no title"))
            else:
                ready.append(doc.with_language())
        try:
            scored = self._score_ready(ready)
        except (SinorusError, RuntimeError, ValueError, MemoryError) as exc:
            if len(ready) <= 1:
                scored = [_error_record(d, exc) for d in ready]
            else:  # isolate the failing document(s)
                logger.warning("batch of %d failed (%s); scoring one by one", len(ready), exc)
                scored = [r for d in ready for r in self._score_batch([d])]
        it = iter(scored)
        return [results[i] if i in results else next(it) for i in range(len(docs))]

    def _score_ready(self, docs: list[Document]) -> list[Record]:
        if not docs:
            return []
        enc = encode_documents(docs, self.body, limit=self.chunk_limit, cache=self.cache)
        X = np.vstack([e.features for e in enc])
        proba, cut = self._document_proba(docs, X)
        themes, relevance, dyad, levels = (proba[h] for h in DOC_HEADS)
        relevance = relevance[:, 0]
        t_th, r_th, d_th, l_th = (cut[h] for h in DOC_HEADS)
        out = []
        for i, e in enumerate(enc):
            indicators = self._indicators(e, levels[i], l_th[i])
            out.append(
                Record(
                    id=e.doc.id,
                    path=e.doc.path,
                    title=e.doc.title,
                    date=e.doc.date,
                    lang=e.doc.lang,
                    text=e.doc.text,
                    themes={t: float(p) for t, p in zip(THEMES, themes[i])},
                    labels=tuple(t for t, p, th in zip(THEMES, themes[i], t_th[i]) if p >= th),
                    relevance=float(relevance[i]),
                    relevant=bool(relevance[i] >= r_th[i, 0]),
                    dyad=tuple(a for a, p, th in zip(ACTORS, dyad[i], d_th[i]) if p >= th),
                    indicators=indicators,
                    coverage=e.coverage,
                )
            )
        return out

    def _document_proba(self, docs: list[Document], X: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each document head's probabilities and the cut applied to them, one row per document.

        The embedding heads give both; where ``lexical_blend`` names a
        document's language, the lexical head's probabilities for the named
        heads are averaged in and the cut is 0.5.
        """
        proba = {h: self.heads[h].predict_proba(X) for h in DOC_HEADS}
        cut = {h: np.tile(self.heads[h].thresholds_, (len(X), 1)) for h in DOC_HEADS}
        blended = {i: self.lexical_blend[d.lang] for i, d in enumerate(docs) if d.lang in self.lexical_blend}
        routed = list(blended)
        if self.lexical is None or not routed:
            return proba, cut
        lex = self.lexical.predict_proba([lexical_text(docs[i]) for i in routed])
        col = 0
        for h in self.lexical_heads:
            k = proba[h].shape[1]
            sub = [n for n, i in enumerate(routed) if h in blended[i]]
            rows = [routed[n] for n in sub]
            proba[h][rows] = (proba[h][rows] + lex[sub, col:col + k]) / 2
            cut[h][rows] = 0.5
            col += k
        return proba, cut

    def _indicators(self, e: Encoded, p: np.ndarray, th: np.ndarray) -> dict[str, IndicatorResult]:
        chunks, feats = e.sentence_rows()
        sent_p = self.heads["evidence"].predict_proba(feats) if chunks else np.zeros((0, len(INDICATORS)))
        ev_th = self.heads["evidence"].thresholds_
        out = {}
        for k, name in enumerate(INDICATORS):
            p1, p2 = float(p[2 * k]), float(p[2 * k + 1])
            level = int(p1 >= th[2 * k]) + int(p1 >= th[2 * k] and p2 >= th[2 * k + 1])
            evidence: tuple[Evidence, ...] = ()
            if level and chunks:
                order = np.argsort(-sent_p[:, k], kind="stable")
                picked = [j for j in order[: self.config.max_evidence] if sent_p[j, k] >= ev_th[k]]
                picked = picked or [int(order[0])]
                evidence = tuple(
                    Evidence(chunks[j].text, chunks[j].start, chunks[j].end, float(sent_p[j, k]))
                    for j in sorted(picked, key=lambda j: chunks[j].start)
                )
            out[name] = IndicatorResult(level=level, score=(p1 + p2) / 2, evidence=evidence)
        return out

    # ---- persistence

    def save(self, path: str | Path, *, card: str | None = None) -> Path:
        """Write the model folder (manifest, heads, model card) and return its path."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name in HEAD_NAMES:
            arrays.update(self.heads[name].to_arrays(name))
        manifest = dict(self.manifest)
        manifest.pop("lexicon", None)
        if self.lexical is not None:
            arrays.update(self.lexical.to_arrays("lexical"))
            (path / LEXICON_FILE).write_text(json.dumps(self.lexical.vocabulary(), ensure_ascii=False))
            manifest["lexicon"] = {
                "file": LEXICON_FILE, "sha256": _sha256(path / LEXICON_FILE),
                "params": _head_params(self.lexical),
                "heads": list(self.lexical_heads),
                "blend": {lang: list(hs) for lang, hs in self.lexical_blend.items()},
                "combine": "for a document whose language is in blend, each output of the heads named there = "
                           "mean(embedding head, lexical head), positive when >= 0.5",
            }
        elif (path / LEXICON_FILE).exists():
            (path / LEXICON_FILE).unlink()
        np.savez(path / HEADS_FILE, **arrays)  # type: ignore[arg-type]
        manifest.update(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            sinorus_version=__version__,
            body={
                "name": self.body.name,
                "dimension": self.body.dimension,
                "max_tokens": self.body.max_tokens,
                "fingerprint": self.body.fingerprint(),
            },
            labels={"themes": list(THEMES), "indicators": list(INDICATORS), "actors": list(ACTORS),
                    "levels": list(LEVEL_TARGETS)},
            thresholds={
                "themes": dict(zip(THEMES, _floats(self.heads["themes"].thresholds_))),
                "relevance": float(self.heads["relevance"].thresholds_[0]),
                "dyad": dict(zip(ACTORS, _floats(self.heads["dyad"].thresholds_))),
                "levels": dict(zip(LEVEL_TARGETS, _floats(self.heads["levels"].thresholds_))),
                "evidence": dict(zip(INDICATORS, _floats(self.heads["evidence"].thresholds_))),
            },
            feature_dims={n: int(self.heads[n].coef_.shape[1]) for n in HEAD_NAMES},
            heads={"file": HEADS_FILE, "sha256": _sha256(path / HEADS_FILE),
                   "params": {n: _head_params(self.heads[n]) for n in HEAD_NAMES}},
            config={"chunk_tokens": self.config.chunk_tokens, "max_evidence": self.config.max_evidence},
        )
        (path / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        if card is not None:
            (path / CARD_FILE).write_text(card)
        self.manifest = manifest
        return path

    @classmethod
    def load(cls, path: str | Path | None = None, *, config: Config | None = None) -> "SinorusModel":
        """Load a model folder, checking it is safe and matches the installed body.

        Raises
        ------
        ModelLoadError
            If the folder is missing or malformed.
        UnsafeModelError
            If it holds files or arrays that could run code when loaded.
        BodyMismatchError
            If the installed body is not the one the model was trained with.
        """
        path = Path(path) if path is not None else default_model_path()
        manifest = read_manifest(path)
        arrays = _read_heads(path, manifest)
        body_info = manifest["body"]
        cfg = config or Config(body=body_info["name"])
        if cfg.body != body_info["name"]:
            cfg = cfg.replace(body=body_info["name"])
        cfg = cfg.replace(chunk_tokens=cfg.chunk_tokens or manifest.get("config", {}).get("chunk_tokens"))
        body = get_body(body_info["name"], device=cfg.device, batch_size=cfg.batch_size)
        _check_body(body, body_info)
        heads = {}
        for name in HEAD_NAMES:
            params = manifest["heads"].get("params", {}).get(name, {})
            heads[name] = CalibratedMultiLabel.from_arrays(arrays, name, **params)
            want = manifest["feature_dims"][name]
            if heads[name].coef_.shape[1] != want:
                raise ModelLoadError(f"head {name!r} has {heads[name].coef_.shape[1]} features, manifest says {want}")
        lexical = _read_lexical(path, manifest, arrays)
        info = manifest.get("lexicon", {})
        lexical_heads = info.get("heads", ["relevance"])
        blend = info.get("blend") or {lang: lexical_heads for lang in info.get("languages", ["en"])}
        return cls(body, heads, config=cfg, manifest=manifest, lexical=lexical, lexical_heads=lexical_heads,
                   lexical_blend=blend)


def load(path: str | Path | None = None, *, config: Config | None = None) -> SinorusModel:
    """Load the shipped default model, or the model folder at ``path``.

    Examples
    --------
    >>> import sinorus
    >>> model = sinorus.load()                         # doctest: +SKIP
    >>> model.score("Russian and Chinese bombers flew a joint patrol.").labels  # doctest: +SKIP
    ('exercises',)
    """
    return SinorusModel.load(path, config=config)


# --------------------------------------------------------------------------- helpers


def _floats(a: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in a]


def _head_params(head: CalibratedMultiLabel) -> dict[str, Any]:
    return {k: v for k, v in head.get_params().items() if isinstance(v, (int, float, str, type(None)))}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lexical_text(doc: Document) -> str:
    """The text the lexical head reads: title and body."""
    return ((doc.title or "") + "\n" + doc.text).strip()


def _read_lexical(path: Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> LexicalScorer | None:
    info = manifest.get("lexicon")
    if not info:
        return None
    if info.get("file") != LEXICON_FILE:
        raise UnsafeModelError(f"manifest names lexicon file {info.get('file')!r}; only {LEXICON_FILE!r} is read")
    lp = path / LEXICON_FILE
    if not lp.is_file() or _sha256(lp) != info.get("sha256"):
        raise ModelLoadError(f"{lp} is missing or does not match the checksum in {MANIFEST_FILE}")
    vocab = json.loads(lp.read_text(encoding="utf-8"))
    if not (isinstance(vocab, dict) and all(isinstance(vocab.get(k), list) for k in ("word", "char"))):
        raise ModelLoadError(f"{lp} must hold the lists 'word' and 'char'")
    try:
        params = {"segment": False, **info.get("params", {})}  # folders from before segmentation
        return LexicalScorer.from_parts(arrays, vocab, "lexical", **params)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelLoadError(f"the lexical head in {path} is malformed: {exc}") from exc


def _error_record(doc: Document, exc: BaseException) -> Record:
    kind = type(exc).__name__
    return Record(
        id=doc.id, path=doc.path, title=doc.title, date=doc.date, lang=doc.lang, text=doc.text,
        error=ErrorInfo(type=kind, message=str(exc) or kind),
    )


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check ``manifest.json`` of a model folder (no code is run)."""
    if not path.is_dir():
        raise ModelLoadError(f"no model folder at {str(path)!r}; train one with 'sinorus train' or pass another path")
    for f in sorted(path.iterdir()):
        if f.suffix.lower() in _UNSAFE_SUFFIXES:
            raise UnsafeModelError(
                f"model folder {str(path)!r} holds {f.name!r}: sinorus model folders hold only JSON, "
                f".npz and Markdown, and files that can run code on load ({', '.join(sorted(_UNSAFE_SUFFIXES))}) "
                "are refused. Remove the file or use a model you trained yourself."
            )
    mf = path / MANIFEST_FILE
    if not mf.is_file():
        raise ModelLoadError(f"{str(path)!r} has no {MANIFEST_FILE}; is it a sinorus model folder?")
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{mf} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelLoadError(f"{mf} is not a sinorus manifest (format must be {FORMAT!r})")
    unknown = set(manifest) - _MANIFEST_KEYS
    if unknown:
        raise UnsafeModelError(f"{mf} has unexpected fields {sorted(unknown)}; allowed: {sorted(_MANIFEST_KEYS)}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"{mf} has format_version {manifest.get('format_version')!r}; this sinorus reads {FORMAT_VERSION}"
        )
    heads = manifest.get("heads", {})
    if heads.get("file") != HEADS_FILE:
        raise UnsafeModelError(f"{mf} names heads file {heads.get('file')!r}; only {HEADS_FILE!r} is read")
    return manifest


def _read_heads(path: Path, manifest: dict[str, Any]) -> dict[str, np.ndarray]:
    hp = path / HEADS_FILE
    if not hp.is_file():
        raise ModelLoadError(f"{str(path)!r} has no {HEADS_FILE}")
    want = manifest["heads"].get("sha256")
    if want and _sha256(hp) != want:
        raise ModelLoadError(f"{hp} does not match the checksum in {MANIFEST_FILE}; the folder was altered")
    try:
        with np.load(hp, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as exc:
        raise UnsafeModelError(
            f"{hp} holds object arrays, which load through pickle and can run code; refused ({exc})"
        ) from exc
    except (OSError, EOFError) as exc:
        raise ModelLoadError(f"{hp} is not a readable .npz file: {exc}") from exc
    for k, a in arrays.items():
        if a.dtype.kind not in "fiub":
            raise UnsafeModelError(f"{hp}: array {k!r} has dtype {a.dtype}; only numeric arrays are allowed")
    return arrays


def _check_body(body: Body, info: dict[str, Any]) -> None:
    if body.dimension != info.get("dimension"):
        raise BodyMismatchError(
            f"the model was trained on {info.get('name')!r} with {info.get('dimension')} dimensions, "
            f"the installed body gives {body.dimension}"
        )
    if body.fingerprint() != info.get("fingerprint"):
        raise BodyMismatchError(
            f"the model was trained with body {info.get('fingerprint')!r} but {body.fingerprint()!r} is "
            "installed; install that version of the body package or retrain with 'sinorus train'"
        )
