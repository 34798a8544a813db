import numpy as np
import pytest

from sinorus.embeddings import (
    Body,
    ConcatBody,
    EmbeddingCache,
    HashingBody,
    available_bodies,
    embed,
    get_body,
)
from sinorus.errors import BodyUnavailableError, ConfigError


def test_hashing_body_is_deterministic_and_normalised():
    b = HashingBody()
    x = b.encode(["joint naval drills", "joint naval drills", "gas pipeline"])
    assert x.shape == (3, b.dimension) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(x[0], x[1])
    assert isinstance(b, Body)


def test_get_body_unknown_name_lists_choices():
    with pytest.raises(BodyUnavailableError, match="unknown body 'nope'.*all-MiniLM-L6-v2"):
        get_body("nope")
    assert "use-multilingual-v3" in available_bodies()


def test_concat_body():
    b = get_body("hashing-test+hashing-test")
    assert isinstance(b, ConcatBody) and b.dimension == 512
    assert b.encode(["a b"]).shape == (1, 512)
    with pytest.raises(ConfigError):
        ConcatBody([HashingBody()])


class CountingBody(HashingBody):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


def test_cache_skips_known_text_and_changes_with_body(tmp_path):
    cache = EmbeddingCache(tmp_path)
    body = CountingBody()
    first = embed(["a b", "c d", "a b"], body, cache)
    assert body.seen == ["a b", "c d"]
    again = embed(["c d", "e f"], body, cache)
    assert body.seen == ["a b", "c d", "e f"]
    np.testing.assert_array_equal(first[1], again[0])
    other = CountingBody(dimension=128)  # a different body: nothing is reused
    embed(["a b"], other, EmbeddingCache(tmp_path))
    assert other.seen == ["a b"]


def test_cache_persists_on_disk(tmp_path):
    embed(["x y"], HashingBody(), EmbeddingCache(tmp_path))
    body = CountingBody()
    embed(["x y"], body, EmbeddingCache(tmp_path))
    assert body.seen == []


def test_routed_part_embeds_only_its_languages():
    body = get_body("hashing-test@en+hashing-test")
    x = embed(["joint drills", "совместные учения"], body, languages=["en", "ru"])
    assert x.shape == (2, 512)
    assert np.linalg.norm(x[0, :256]) > 0.99 and np.linalg.norm(x[1, :256]) == 0
    assert np.linalg.norm(x[1, 256:]) > 0.99
    assert body.name == "hashing-test@en+hashing-test"


def test_routed_body_alone_is_refused():
    with pytest.raises(BodyUnavailableError, match="needs another body"):
        get_body("hashing-test@en")
