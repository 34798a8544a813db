#!/usr/bin/env python3
"""Check written corpus articles against the annotation guide and fill evidence offsets.

Usage: python tools/check_articles.py [--fix] FILE.jsonl [FILE.jsonl ...]

With ``--fix``, evidence given as plain sentence strings is turned into exact
``{"start", "end"}`` spans of ``text`` and the file is rewritten in place.
Exit status is 1 when any record breaks a rule.
"""
from __future__ import annotations

import collections
import json
import re
import sys

THEMES = ("procurement", "exercises", "intel_sharing", "tech_transfer")
INDICATORS = ("deal_depth", "exercise_complexity", "intel_tech_collab", "diplomatic_signaling")
LANGS = {"en", "ru", "zh", "fr", "de", "es", "ar"}
GENRES = {
    "wire", "analysis", "op-ed", "press-release", "state-media", "blog", "interview",
    "think-tank", "feature", "editorial", "explainer", "newsletter",
}
KEYS = {"id", "story", "genre", "year", "date", "lang", "title", "text", "themes", "relevant",
        "dyad", "indicators", "note"}


def word_count(text: str, lang: str) -> int:
    if lang == "zh":
        return round(len(re.findall(r"[\u4e00-\u9fff]", text)) / 2)
    return len(text.split())


def to_span(text: str, ev: object) -> dict:
    if isinstance(ev, dict) and "start" in ev and "end" in ev:
        return {"start": int(ev["start"]), "end": int(ev["end"])}
    if isinstance(ev, dict) and "text" in ev:
        ev = ev["text"]
    if not isinstance(ev, str):
        raise ValueError(f"evidence must be a sentence string or a span, got {ev!r}")
    s = ev.strip()
    i = text.find(s)
    if i < 0:
        raise ValueError(f"evidence sentence not found verbatim in text: {s[:80]!r}")
    return {"start": i, "end": i + len(s)}


def check(rec: dict) -> list[str]:
    errs = []
    missing = KEYS - rec.keys()
    if missing:
        return [f"missing keys {sorted(missing)}"]
    extra = rec.keys() - KEYS
    if extra:
        errs.append(f"unknown keys {sorted(extra)}")
    lang, text = rec["lang"], rec["text"]
    if lang not in LANGS:
        errs.append(f"lang {lang!r} not in {sorted(LANGS)}")
    if rec["genre"] not in GENRES:
        errs.append(f"genre {rec['genre']!r} not in {sorted(GENRES)}")
    if not (isinstance(rec["year"], int) and 2005 <= rec["year"] <= 2026):
        errs.append(f"year {rec['year']!r} not an int in 2005..2026")
    if rec["date"] is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(rec["date"])):
        errs.append(f"date {rec['date']!r} not YYYY-MM-DD or null")
    wc = word_count(text, lang)
    if not 150 <= wc <= 1200:
        errs.append(f"length {wc} words not in 150..1200")
    if set(rec["themes"]) != set(THEMES) or any(v not in (0, 1) for v in rec["themes"].values()):
        errs.append(f"themes {rec['themes']!r} must map each of {THEMES} to 0/1")
    if rec["relevant"] not in (0, 1):
        errs.append(f"relevant {rec['relevant']!r} must be 0/1")
    if not set(rec["dyad"]) <= {"china", "russia"}:
        errs.append(f"dyad {rec['dyad']!r} must be a subset of ['china', 'russia']")
    if set(rec["indicators"]) != set(INDICATORS):
        errs.append(f"indicators must have exactly {INDICATORS}")
        return errs
    any_ind = False
    for name, ind in rec["indicators"].items():
        level, ev = ind.get("level"), ind.get("evidence", [])
        if level not in (0, 1, 2):
            errs.append(f"{name}.level {level!r} must be 0/1/2")
            continue
        any_ind |= level > 0
        if level == 0 and ev:
            errs.append(f"{name} level 0 must have no evidence")
        if level > 0 and not 1 <= len(ev) <= 3:
            errs.append(f"{name} level {level} needs 1-3 evidence sentences, has {len(ev)}")
        for sp in ev:
            if not (isinstance(sp, dict) and 0 <= sp.get("start", -1) < sp.get("end", -1) <= len(text)):
                errs.append(f"{name} evidence {sp!r} is not a span inside text")
    if rec["relevant"] == 1 and set(rec["dyad"]) != {"china", "russia"}:
        errs.append("relevant articles need dyad ['china', 'russia']")
    if rec["relevant"] == 0 and any_ind and set(rec["dyad"]) != {"china", "russia"}:
        errs.append("indicators > 0 describe China-Russia ties: dyad must be both")
    return errs


def main(argv: list[str]) -> int:
    fix = "--fix" in argv
    files = [a for a in argv if a != "--fix"]
    bad = 0
    counts: collections.Counter = collections.Counter()
    ids = set()
    for path in files:
        out = []
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"{where}: bad JSON: {exc}")
                bad += 1
                continue
            try:
                for ind in rec.get("indicators", {}).values():
                    ind["evidence"] = [to_span(rec["text"], e) for e in ind.get("evidence", [])]
            except ValueError as exc:
                print(f"{where} {rec.get('id')}: {exc}")
                bad += 1
            errs = check(rec)
            if rec.get("id") in ids:
                errs.append(f"duplicate id {rec.get('id')!r}")
            ids.add(rec.get("id"))
            for e in errs:
                print(f"{where} {rec.get('id')}: {e}")
            bad += bool(errs)
            out.append(rec)
            counts["articles"] += 1
            counts[f"lang={rec.get('lang')}"] += 1
            for t, v in rec.get("themes", {}).items():
                counts[f"theme {t}"] += v
            counts["relevant"] += rec.get("relevant", 0)
            for name, ind in rec.get("indicators", {}).items():
                counts[f"{name}={ind.get('level')}"] += 1
        if fix:
            with open(path, "w", encoding="utf-8") as fh:
                for rec in out:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    for k in sorted(counts):
        print(f"{k:32s} {counts[k]}")
    print("OK" if not bad else f"{bad} records with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
