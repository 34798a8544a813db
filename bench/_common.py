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


def long_articles(n: int = 200, target_words: int = 800) -> list[tuple[str, str]]:
    """``n`` articles of about ``target_words`` words, each made by joining written corpus
    articles of one language in file order (deterministic). Returns (name, text) pairs."""
    rows = []
    for path in sorted((ROOT / "data" / "articles").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_lang: dict[str, list[dict]] = {}
    for r in rows:
        by_lang.setdefault(r["lang"], []).append(r)
    out: list[tuple[str, str]] = []
    pools = [iter(by_lang[k] * 4) for k in sorted(by_lang, key=lambda k: -len(by_lang[k]))]
    while len(out) < n:
        for pool in pools:
            parts, count, lang = [], 0, None
            for r in pool:
                lang = r["lang"]
                parts.append(r["title"] + "\n\n" + r["text"])
                count += words(r["text"], lang)
                if count >= target_words:
                    break
            if parts:
                out.append((f"{len(out):03d}_{lang}.txt", "\n\n".join(parts)))
            if len(out) >= n:
                break
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
