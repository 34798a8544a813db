"""Measuring a model against labeled examples.

:func:`evaluate_records` compares scored records with gold examples and
returns every number the README and ``sinorus eval`` report.
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

from .errors import DataError
from .records import ACTORS, INDICATORS, THEMES, Record

__all__ = ["evaluate_records", "expected_calibration_error", "bootstrap_intervals", "load_eval_examples",
           "format_report"]


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE over equal-width probability bins: sum of |accuracy - confidence| weighted by bin size."""
    proba, y = np.ravel(proba), np.ravel(y)
    if len(proba) == 0:
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(y[m].mean() - proba[m].mean())
    return float(ece)


def _prf(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    pr, rc, f1, _ = precision_recall_fscore_support(y, p, average="binary", zero_division=0)
    return {"precision": float(pr), "recall": float(rc), "f1": float(f1), "support": int(y.sum())}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    return float(spearmanr(a, b).statistic)


def evaluate_records(records: Sequence[Record], examples: Sequence[Any], *, worst: int = 10) -> dict[str, Any]:
    """Metrics of ``records`` against the gold ``examples`` (same order, same ids).

    Records carrying an error count as all-zero predictions and are counted
    under ``errors``.
    """
    if len(records) != len(examples):
        raise DataError(f"{len(records)} records for {len(examples)} examples")
    n = len(records)
    ok = [r.error is None for r in records]
    P = np.array([[r.themes[t] if r.themes else 0.0 for t in THEMES] for r in records]).reshape(n, -1)
    L = np.array([[t in r.labels for t in THEMES] for r in records], dtype=int).reshape(n, -1)
    Y = np.array([e.themes for e in examples]).reshape(n, -1)
    rel_p = np.array([r.relevance or 0.0 for r in records])
    rel_hat = np.array([bool(r.relevant) for r in records], dtype=int)
    rel_y = np.array([e.relevant for e in examples])
    dy_hat = np.array([[a in r.dyad for a in ACTORS] for r in records], dtype=int).reshape(n, -1)
    dy_y = np.array([e.dyad for e in examples]).reshape(n, -1)
    lv_hat = np.array([[r.indicators[i].level if r.indicators else 0 for i in INDICATORS] for r in records]).reshape(n, -1)
    lv_s = np.array([[r.indicators[i].score if r.indicators else 0.0 for i in INDICATORS] for r in records]).reshape(n, -1)
    lv_y = np.array([e.levels for e in examples]).reshape(n, -1)

    per_theme = {t: _prf(Y[:, k], L[:, k]) for k, t in enumerate(THEMES)}
    present = [t for t in THEMES if per_theme[t]["support"] > 0]
    out: dict[str, Any] = {
        "documents": n,
        "errors": n - sum(ok),
        "themes": per_theme,
        "macro_f1": float(np.mean([per_theme[t]["f1"] for t in present])) if present else float("nan"),
        "macro_f1_themes": present,
        "relevance": _prf(rel_y, rel_hat),
        "dyad_accuracy": float((dy_hat == dy_y).all(axis=1).mean()),
        "indicators": {},
        "ece_themes": expected_calibration_error(P, Y),
        "ece_relevance": expected_calibration_error(rel_p, rel_y),
    }
    for k, ind in enumerate(INDICATORS):
        y1 = (lv_y[:, k] >= 1).astype(int)
        out["indicators"][ind] = {
            "level_accuracy": float((lv_hat[:, k] == lv_y[:, k]).mean()),
            "spearman": _spearman(lv_s[:, k], lv_y[:, k]),
            "ap_level_ge1": float(average_precision_score(y1, lv_s[:, k])) if 0 < y1.sum() < n else float("nan"),
            "gold_levels": [int((lv_y[:, k] == v).sum()) for v in (0, 1, 2)],
        }
    out["indicator_spearman_mean"] = float(np.nanmean([v["spearman"] for v in out["indicators"].values()]))
    out["evidence"] = _evidence_precision(records, examples)
    ci = bootstrap_intervals(Y, L, rel_y, rel_hat)
    out["macro_f1_ci95"], out["relevance"]["f1_ci95"] = ci["macro_f1"], ci["relevance_f1"]
    out["by_language"] = _by_language(records, examples, Y, L, rel_y, rel_hat)
    out["worst"] = _worst(records, examples, P, Y, rel_p, rel_y, worst)
    return out


def _evidence_precision(records: Sequence[Record], examples: Sequence[Any]) -> dict[str, Any]:
    """Share of reported evidence sentences that overlap a gold evidence span of the same indicator."""
    hits = total = 0
    for r, e in zip(records, examples):
        gold = getattr(e, "evidence", ())
        if not gold or not r.indicators:
            continue
        for k, ind in enumerate(INDICATORS):
            spans = [(s, t) for kk, s, t in gold if kk == k]
            if not spans:
                continue
            for ev in r.indicators[ind].evidence:
                total += 1
                hits += any(ev.start < t and s < ev.end for s, t in spans)
    return {"sentences": total, "precision": hits / total if total else float("nan")}


def _f1_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """F1 of each row of 0/1 arrays (last axis = documents); NaN where a row has no positives."""
    tp = (y & p).sum(-1)
    fp = ((1 - y) & p).sum(-1)
    fn = (y & (1 - p)).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan)


def bootstrap_intervals(Y: np.ndarray, L: np.ndarray, rel_y: np.ndarray, rel_hat: np.ndarray, *,
                        resamples: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """95% percentile bootstrap intervals of themes macro-F1 and relevance F1.

    Documents are resampled with replacement; macro-F1 in a resample averages
    the themes that have a positive in it, as :func:`evaluate_records` does.
    Small per-language test sets make wide intervals: read a gap between two
    languages against them.
    """
    n = len(rel_y)
    if n == 0:
        return {"macro_f1": [float("nan")] * 2, "relevance_f1": [float("nan")] * 2}
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    Yi, Li = Y.astype(int), L.astype(int)
    themes = np.stack([_f1_rows(Yi[idx, k], Li[idx, k]) for k in range(Y.shape[1])], axis=1)
    with warnings.catch_warnings():  # a resample may hold no positive of any theme
        warnings.simplefilter("ignore", RuntimeWarning)
        macro = np.nanmean(themes, axis=1)
    rel = _f1_rows(rel_y.astype(int)[idx], rel_hat.astype(int)[idx])

    def interval(v: np.ndarray) -> list[float]:
        v = v[~np.isnan(v)]
        return [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if len(v) else [float("nan")] * 2

    return {"macro_f1": interval(macro), "relevance_f1": interval(rel)}


def _by_language(records, examples, Y, L, rel_y, rel_hat) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = {}
    langs = collections.Counter(e.lang for e in examples)
    for lang in sorted(langs):
        m = np.array([e.lang == lang for e in examples])
        f1s = [_prf(Y[m, k], L[m, k])["f1"] for k in range(len(THEMES)) if Y[m, k].sum() > 0]
        ci = bootstrap_intervals(Y[m], L[m], rel_y[m], rel_hat[m])
        out[lang] = {
            "documents": int(m.sum()),
            "macro_f1": float(np.mean(f1s)) if f1s else float("nan"),
            "macro_f1_ci95": ci["macro_f1"],
            "relevance_f1": _prf(rel_y[m], rel_hat[m])["f1"] if rel_y[m].sum() else float("nan"),
            "relevance_f1_ci95": ci["relevance_f1"],
        }
    return out


def _worst(records, examples, P, Y, rel_p, rel_y, k) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    loss = np.abs(P - Y).sum(axis=1) + np.abs(rel_p - rel_y)
    out = []
    for i in np.argsort(-loss, kind="stable")[:k]:
        e, r = examples[i], records[i]
        out.append({
            "id": e.id, "lang": e.lang, "loss": round(float(loss[i]), 3),
            "title": (e.title or e.text[:80]),
            "gold": {"themes": [t for t, v in zip(THEMES, e.themes) if v], "relevant": int(e.relevant)},
            "predicted": {"themes": list(r.labels), "relevant": r.relevant,
                          "p": {t: round(float(P[i, j]), 2) for j, t in enumerate(THEMES)},
                          "relevance": round(float(rel_p[i]), 2)},
        })
    return out


def load_eval_examples(path: str | Path, *, split: str = "test") -> dict[str, list[Any]]:
    """Gold examples to evaluate on, grouped by name.

    ``path`` is a corpus folder (its ``split`` part, real and written apart)
    or a ``.jsonl`` file of labeled records in either corpus format.
    """
    from .training import _read_jsonl, _real_example, _written_example, load_examples

    path = Path(path)
    if path.is_dir():
        examples = [e for e in load_examples(path) if e.split == split]
        groups: dict[str, list[Any]] = {}
        for source in ("written", "real"):
            rows = [e for e in examples if e.source == source]
            if rows:
                groups[f"{split}_{source}"] = rows
        return groups
    if not path.is_file():
        raise DataError(f"no such file or folder: {str(path)!r}")
    out: list[Any] = []
    for r in _read_jsonl(path):
        ind = r.get("indicators", {})
        is_written = any(isinstance(v, dict) for v in ind.values())
        out.append(_written_example(r, str(path)) if is_written else _real_example(r))
    return {path.name: out}


def _fmt(x: float) -> str:
    return "  -  " if x != x else f"{x:.3f}"


def _ci(v: Sequence[float] | None) -> str:
    return "" if not v or v[0] != v[0] else f"[{v[0]:.2f}, {v[1]:.2f}]"


def format_report(name: str, m: dict[str, Any]) -> str:
    """A plain-text table of one evaluation, for the terminal."""
    lines = [f"== {name}: {m['documents']} documents, {m['errors']} errors"]
    lines.append(f"{'theme':16s} {'prec':>6s} {'rec':>6s} {'f1':>6s} {'n':>5s}")
    for t, v in m["themes"].items():
        lines.append(f"{t:16s} {_fmt(v['precision']):>6s} {_fmt(v['recall']):>6s} {_fmt(v['f1']):>6s} {v['support']:5d}")
    lines.append(f"{'macro-F1':16s} {'':>6s} {'':>6s} {_fmt(m['macro_f1']):>6s}        {_ci(m.get('macro_f1_ci95'))}")
    r = m["relevance"]
    lines.append(f"{'relevance':16s} {_fmt(r['precision']):>6s} {_fmt(r['recall']):>6s} {_fmt(r['f1']):>6s} {r['support']:5d}  "
                 f"{_ci(r.get('f1_ci95'))}")
    lines.append(f"dyad accuracy {_fmt(m['dyad_accuracy'])}   ECE themes {_fmt(m['ece_themes'])}   "
                 f"ECE relevance {_fmt(m['ece_relevance'])}")
    lines.append(f"{'indicator':22s} {'acc':>6s} {'rho':>6s} {'AP>=1':>6s}  gold 0/1/2")
    for ind, v in m["indicators"].items():
        g = "/".join(map(str, v["gold_levels"]))
        lines.append(f"{ind:22s} {_fmt(v['level_accuracy']):>6s} {_fmt(v['spearman']):>6s} {_fmt(v['ap_level_ge1']):>6s}  {g}")
    ev = m["evidence"]
    if ev["sentences"]:
        lines.append(f"evidence precision {_fmt(ev['precision'])} over {ev['sentences']} reported sentences")
    lines.append("by language (95% bootstrap intervals):")
    for k, v in m["by_language"].items():
        lines.append(f"  {k:3s} n={v['documents']:<4d} macro-F1 {_fmt(v['macro_f1'])} {_ci(v.get('macro_f1_ci95'))}  "
                     f"relevance F1 {_fmt(v['relevance_f1'])} {_ci(v.get('relevance_f1_ci95'))}")
    lines.append("worst errors:")
    for w in m["worst"][:5]:
        lines.append(f"  {w['id']} [{w['lang']}] gold {w['gold']['themes']}/rel={w['gold']['relevant']} "
                     f"pred {w['predicted']['themes']}/rel={w['predicted']['relevant']}  {w['title'][:60]!r}")
    return "\n".join(lines)
