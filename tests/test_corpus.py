"""The shipped corpus in data/: schema, the guide's constraints, floors, duplicates, splits."""

import collections
import hashlib
import importlib.util
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from sinorus.records import INDICATORS, THEMES
from sinorus.training import load_examples

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data" / "real_snippets.jsonl"


def _checker():
    spec = importlib.util.spec_from_file_location("check_articles", ROOT / "tools" / "check_articles.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def articles():
    rows = []
    for path in sorted((DATA / "articles").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def test_every_article_follows_the_schema_and_guide(articles):
    check = _checker().check
    problems = {r["id"]: errs for r in articles if (errs := check(r))}
    assert not problems


def test_evidence_spans_are_sentences_of_the_text(articles):
    for r in articles:
        for ind in INDICATORS:
            for sp in r["indicators"][ind]["evidence"]:
                piece = r["text"][sp["start"]:sp["end"]]
                assert piece == piece.strip() and len(piece) >= 10, (r["id"], ind, piece)


def test_corpus_floors(articles):
    n = len(articles)
    assert n >= 500
    themes = collections.Counter(t for r in articles for t in THEMES if r["themes"][t])
    assert min(themes[t] for t in THEMES) >= 100, themes
    levels = collections.Counter((i, r["indicators"][i]["level"]) for r in articles for i in INDICATORS)
    assert min(levels[(i, lv)] for i in INDICATORS for lv in (0, 1, 2)) >= 30, levels
    hard = sum(1 for r in articles if not r["relevant"] and any(r["themes"].values()))
    off = sum(1 for r in articles if not r["relevant"] and not any(r["themes"].values()))
    assert hard >= 150 and off >= 80
    langs = collections.Counter(r["lang"] for r in articles)
    assert langs["ru"] >= 80 and langs["zh"] >= 80
    assert all(langs[x] > 0 for x in ("fr", "de", "es", "ar"))
    assert len({r["genre"] for r in articles}) >= 8


def _shingles(text, lang):
    toks = re.findall(r"[\u3400-\u9fff]", text) if lang == "zh" else re.findall(r"\w+", text.lower())
    return {tuple(toks[i:i + 5]) for i in range(max(1, len(toks) - 4))}


def test_no_near_duplicate_articles(articles):
    sh = [_shingles(r["text"], r["lang"]) for r in articles]
    worst = (0.0, None)
    for i, j in itertools.combinations(range(len(articles)), 2):
        a, b = sh[i], sh[j]
        jac = len(a & b) / len(a | b)
        if jac > worst[0]:
            worst = (jac, (articles[i]["id"], articles[j]["id"]))
    assert worst[0] < 0.5, worst


def _tfidf_similarity(articles):
    from sklearn.feature_extraction.text import TfidfVectorizer

    def grams(text):
        toks = re.findall(r"[\u3400-\u9fff]|\w+", text.lower())
        return toks + [" ".join(p) for p in zip(toks, toks[1:])]

    X = TfidfVectorizer(analyzer=grams, sublinear_tf=True).fit_transform(
        [r["title"] + " " + r["text"] for r in articles])
    sim = (X @ X.T).toarray()
    np.fill_diagonal(sim, 0)
    return sim


def test_no_near_duplicate_vectors(articles):
    sim = _tfidf_similarity(articles)
    i, j = np.unravel_index(np.argmax(sim), sim.shape)
    assert sim[i, j] < 0.6, (articles[i]["id"], articles[j]["id"], float(sim[i, j]))


def test_articles_on_one_event_share_a_story():
    """Pairs as similar as two reports of one event must be linked (data/story_links.jsonl)."""
    examples = [e for e in load_examples(DATA) if e.source == "written"]
    sim = _tfidf_similarity([{"title": e.title or "", "text": e.text} for e in examples])
    close = np.argwhere(np.triu(sim) >= 0.38)
    apart = [(examples[i].id, examples[j].id) for i, j in close if examples[i].story != examples[j].story]
    assert not apart


def test_every_item_has_a_fixed_split_and_stories_stay_together():
    examples = load_examples(DATA)
    story_split = {}
    for e in examples:
        assert e.split in ("train", "validation", "test")
        if e.source == "written":
            assert story_split.setdefault(e.story, e.split) == e.split
    counts = collections.Counter((e.source, e.split) for e in examples)
    assert counts[("real", "test")] >= 200 and counts[("written", "test")] >= 100


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not beside the checkout")
def test_real_snippets_are_unchanged_copies():
    mine = hashlib.sha256((DATA / "real_snippets.jsonl").read_bytes()).hexdigest()
    assert mine == hashlib.sha256(SHARED.read_bytes()).hexdigest()
