"""Where should the lexical head be averaged in? Grouped cross-validation on train + validation.

    python bench/blend_cv.py [--data data] [--cache DIR] [--folds 5] [--repeats 3]

Every written story and real snippet outside the ``test`` split is dealt into grouped folds
(stories never straddle folds), ``--repeats`` times with different shuffles. In each fold the
embedding heads and the lexical head are fitted on the other folds; their out-of-fold outputs are
then scored per language group, once for the embedding heads alone (their F1-tuned thresholds)
and once for the mean of the two probabilities cut at 0.5, and the measures are averaged over
the repeats (one grouped split of ~90 Russian articles moves a measure by a few hundredths).
The test split is never read. ``training.LEXICAL_BLEND`` blends a head for a language where its
mean measure rises by at least 0.01 here. Writes bench/results/blend_cv.json and prints a table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, save  # noqa: E402

GROUPS = ("real", "written en", "written ru", "written zh", "written other")


def _group(source: str, lang: str | None) -> str:
    if source == "real":
        return "real"
    return f"written {lang}" if lang in ("en", "ru", "zh") else "written other"


def measures(Y: np.ndarray, P: np.ndarray, S: np.ndarray, levels: np.ndarray) -> dict[str, float]:
    """Themes macro-F1, relevance F1, dyad exact-match accuracy, mean indicator Spearman."""
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score

    rho = [spearmanr(levels[:, k], S[:, 7 + 2 * k] + S[:, 8 + 2 * k]).correlation for k in range(4)]
    return {
        "themes_macro_f1": float(np.mean([f1_score(Y[:, j], P[:, j], zero_division=0) for j in range(4)])),
        "relevance_f1": float(f1_score(Y[:, 4], P[:, 4], zero_division=0)),
        "dyad_accuracy": float((P[:, 5:7] == Y[:, 5:7]).all(axis=1).mean()),
        "indicator_spearman": float(np.nanmean(rho)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--cache", default=None, help="embedding cache folder (default: the user cache)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from sklearn.model_selection import GroupKFold

    from sinorus.cli import DEFAULT_CACHE
    from sinorus.config import Config
    from sinorus.embeddings import EmbeddingCache, get_body
    from sinorus.heads import CalibratedMultiLabel, LexicalScorer
    from sinorus.model import DOC_HEADS, encode_documents, lexical_text
    from sinorus.training import _targets, load_examples

    cfg = Config(cache_dir=args.cache or DEFAULT_CACHE)
    examples = [e for e in load_examples(args.data) if e.split != "test"]
    body = get_body(cfg.body)
    cache = EmbeddingCache(cfg.cache_dir)
    enc = encode_documents([e.document() for e in examples], body, limit=body.max_tokens, cache=cache)
    X = np.vstack([e.features for e in enc])
    texts = [lexical_text(e.document()) for e in examples]
    tg = _targets(examples)
    Y = np.hstack([tg[h] for h in DOC_HEADS])
    levels = np.array([e.levels for e in examples])
    groups = np.array([e.story for e in examples])
    where = np.array([_group(e.source, e.lang) for e in examples])
    runs: dict[str, list[tuple[dict, dict]]] = {g: [] for g in GROUPS}
    for rep in range(args.repeats):
        PE, YE, PL = (np.zeros(Y.shape) for _ in range(3))
        for tr, te in GroupKFold(args.folds, shuffle=True, random_state=rep).split(X, groups=groups):
            col = 0
            for h in DOC_HEADS:
                k = tg[h].shape[1]
                head = CalibratedMultiLabel(cfg.C, cv=cfg.cv_folds, random_state=cfg.seed,
                                            n_jobs=-1).fit(X[tr], tg[h][tr])
                PE[te, col:col + k], YE[te, col:col + k] = head.predict_proba(X[te]), head.predict(X[te])
                col += k
            lex = LexicalScorer(cv=cfg.cv_folds, random_state=cfg.seed, n_jobs=-1).fit([texts[i] for i in tr], Y[tr])
            PL[te] = lex.predict_proba([texts[i] for i in te])
        blend = (PE + PL) / 2
        for g in GROUPS:
            m = where == g
            if m.any():
                runs[g].append((measures(Y[m], YE[m], PE[m], levels[m]),
                                measures(Y[m], (blend[m] >= 0.5).astype(int), blend[m], levels[m])))
    out: dict = {"machine": machine(), "folds": args.folds, "repeats": args.repeats, "documents": len(examples),
                 "groups": {}}
    print("| group | docs | | themes macro-F1 | relevance F1 | dyad acc. | indicator ρ |")
    print("|---|---|---|---|---|---|---|")
    for g in GROUPS:
        m = where == g
        if not runs[g]:
            continue
        emb = {k: float(np.mean([r[0][k] for r in runs[g]])) for k in runs[g][0][0]}
        avg = {k: float(np.mean([r[1][k] for r in runs[g]])) for k in runs[g][0][1]}
        out["groups"][g] = {"documents": int(m.sum()), "embedding": emb, "blend": avg}
        for name, r in (("embedding heads", emb), ("blend", avg)):
            print(f"| {g} | {int(m.sum())} | {name} | {r['themes_macro_f1']:.3f} | {r['relevance_f1']:.3f} | "
                  f"{r['dyad_accuracy']:.3f} | {r['indicator_spearman']:.3f} |")
    print(f"wrote {save('blend_cv', out)}")


if __name__ == "__main__":
    main()
