"""Shared fixtures: a tiny labeled corpus and a model trained on it with the hashing body.

The unit tests never load torch: they use ``HashingBody``, a deterministic
bag-of-words body. End-to-end tests marked ``slow`` use the shipped model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent

_TOPICS = {
    "procurement": [
        "{a} signed a contract to buy {n} fighter jets from {b}.",
        "Deliveries of the air defense systems ordered by {a} from {b} began this month.",
        "{a} received the first batch of missiles purchased from {b}.",
    ],
    "exercises": [
        "Warships of {a} and {b} started joint naval drills at sea.",
        "Troops from {a} and {b} held a large war game with {n} soldiers.",
        "Bombers of {a} and {b} flew a joint patrol over the sea.",
    ],
    "intel_sharing": [
        "{a} and {b} agreed to exchange missile early-warning data.",
        "Intelligence services of {a} and {b} share satellite surveillance information.",
        "{a} passes reconnaissance data to {b} under a new agreement.",
    ],
    "tech_transfer": [
        "{a} and {b} will jointly develop and produce a heavy helicopter.",
        "Engineers from {a} help {b} build engines under license.",
        "{a} transferred production know-how for the engine to {b}.",
    ],
}
_OFF = [
    "Gas exports through the pipeline rose by {n} percent this year.",
    "The football final drew a crowd of {n} people.",
    "Grain prices fell as the harvest reached {n} tonnes.",
    "A new bridge opened for trucks and tourists.",
]
_PAIRS = [("China", "Russia"), ("Russia", "China"), ("India", "France"), ("Japan", "the United States")]


def _article(i: int, theme: str | None, pair: tuple[str, str]) -> tuple[str, dict[str, int]]:
    a, b = pair
    sents = []
    if theme is not None:
        for k, s in enumerate(_TOPICS[theme]):
            sents.append(s.format(a=a, b=b, n=10 + i + k))
    sents += [_OFF[(i + k) % len(_OFF)].format(n=100 + i * 7 + k) for k in range(2)]
    themes = {t: int(t == theme) for t in _TOPICS}
    return " ".join(sents), themes


def _indicators(theme: str | None, relevant: bool, text: str) -> dict[str, dict]:
    name = {"procurement": "deal_depth", "exercises": "exercise_complexity",
            "intel_sharing": "intel_tech_collab", "tech_transfer": "deal_depth"}.get(theme or "")
    out = {k: {"level": 0, "evidence": []} for k in
           ("deal_depth", "exercise_complexity", "intel_tech_collab", "diplomatic_signaling")}
    if relevant and name:
        first = text.split(". ")[0] + "."
        start = text.index(first)
        out[name] = {"level": 2, "evidence": [{"start": start, "end": start + len(first)}]}
    return out


def make_corpus(folder: Path) -> Path:
    """Write a tiny corpus (snippets + articles + splits) into ``folder``."""
    from sinorus.training import make_splits

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "articles").mkdir(exist_ok=True)
    snippets, articles = [], []
    themes_cycle = list(_TOPICS) + [None]
    for i in range(60):
        theme = themes_cycle[i % len(themes_cycle)]
        pair = _PAIRS[(i // 5) % len(_PAIRS)]
        text, themes = _article(i, theme, pair)
        relevant = int(theme is not None and set(pair) == {"China", "Russia"})
        dyad = [x.lower() for x in pair if x in ("China", "Russia")] if theme else []
        if i % 2 == 0:
            snippets.append({
                "id": f"snip-{i}", "source": "test", "url": None, "date": None, "lang": "en",
                "title": f"Item {i}", "text": text, "themes": themes, "relevant": relevant, "dyad": dyad,
                "indicators": {k: v["level"] for k, v in _indicators(theme, bool(relevant), text).items()},
                "note": "",
            })
        else:
            articles.append({
                "id": f"t-{i:04d}", "story": f"t-s{i // 3:04d}", "genre": "wire", "year": 2010 + i % 15,
                "date": None, "lang": "en", "title": f"Article {i}", "text": text, "themes": themes,
                "relevant": relevant, "dyad": sorted(dyad), "indicators": _indicators(theme, bool(relevant), text),
                "note": "",
            })
    (folder / "real_snippets.jsonl").write_text("".join(json.dumps(r) + "\n" for r in snippets))
    (folder / "articles" / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in articles))
    make_splits(folder)
    return folder


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def trained(corpus_dir: Path):
    from sinorus.config import Config
    from sinorus.training import train

    return train(corpus_dir, config=Config(body="hashing-test", cv_folds=3))


@pytest.fixture(scope="session")
def model_dir(trained, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained.model.save(tmp_path_factory.mktemp("model") / "m")


@pytest.fixture()
def model(model_dir: Path):
    from sinorus.model import SinorusModel

    return SinorusModel.load(model_dir)
