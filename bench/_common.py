"""Helpers shared by the benchmarks: the benchmark article set and result files."""

from __future__ import annotations

import json
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def words(text: str, lang: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text)) // 2 if lang == "zh" else len(text.split())


# Documents per language in the 200-article set: about the share of each language in the
# written corpus, which is all the text there is to build ~800-word articles from.
MIX = {"en": 135, "zh": 25, "ru": 24, "es": 5, "fr": 4, "de": 4, "ar": 3}


def long_articles(n: int = 200, target_words: int = 800) -> list[tuple[str, str]]:
    """About ``n`` articles of about ``target_words`` words, in the language mix of the written
    corpus (``MIX``, scaled to ``n``). Each language's written articles are joined in file order
    and dealt out sentence by sentence, so no text is used twice. Returns (file name, text) pairs,
    deterministic."""
    from sinorus.chunks import split_sentences

    rows = []
    for path in sorted((ROOT / "data" / "articles").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: list[tuple[str, str]] = []
    for lang, share in MIX.items():
        quota = max(1, round(share * n / 200))
        text = "\n\n".join(r["title"] + "\n\n" + r["text"] for r in rows if r["lang"] == lang)
        spans = iter(split_sentences(text))
        for _ in range(quota):
            start = end = None
            for sp in spans:
                start = sp.start if start is None else start
                end = sp.end
                if words(text[start:end], lang) >= target_words:
                    break
            if start is None or words(text[start:end], lang) < target_words:
                raise ValueError(f"not enough {lang} text for {quota} articles of {target_words} words")
            out.append((f"{len(out):03d}_{lang}.txt", text[start:end]))
    return out


def machine() -> dict[str, str]:
    import os

    return {"python": platform.python_version(), "cpus": str(os.cpu_count()), "platform": sys.platform,
            "processor": platform.processor() or platform.machine()}


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
