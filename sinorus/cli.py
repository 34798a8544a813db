"""The ``sinorus`` command line: score, train, eval, info, data.

Heavy imports (numpy, scikit-learn, torch) happen inside the commands, so
``sinorus --help`` and ``sinorus info`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

DEFAULT_CACHE = Path(os.environ.get("SINORUS_CACHE", Path.home() / ".cache" / "sinorus"))


def _err(msg: str) -> None:
    print(f"sinorus: error: {msg}", file=sys.stderr)


def _config(args: argparse.Namespace, **extra: Any) -> Any:
    from .config import Config

    cache = None if getattr(args, "no_cache", False) else Path(getattr(args, "cache", None) or DEFAULT_CACHE)
    kw: dict[str, Any] = {"cache_dir": cache, "device": getattr(args, "device", "cpu")}
    for name in ("batch_size", "doc_batch", "seed", "C"):
        v = getattr(args, name, None)
        if v is not None:
            kw[name] = v
    kw.update(extra)
    return Config(**kw)


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _quiet_transformers() -> None:
    """Hide transformers' weight-loading bar; the CLI shows its own progress."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass


def _count_inputs(path: Path) -> int | None:
    if path.is_file():
        return None if path.suffix.lower() in (".jsonl", ".json") else 1
    files = [p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)]
    if any(p.suffix.lower() in (".jsonl", ".json") for p in files):
        return None
    return len(files)


def cmd_score(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .model import SinorusModel
    from .writers import open_writer

    t0 = time.perf_counter()
    src = Path(args.input)
    if not src.exists():
        _err(f"no such file or folder: {str(src)!r}")
        return 2
    model = SinorusModel.load(args.model, config=_config(args))
    if model.body.name != "hashing-test":
        _quiet_transformers()
    errors = 0
    first = None
    with open_writer(args.output, with_text=args.with_text) as writer:
        bar = tqdm(total=_count_inputs(src), unit="doc", file=sys.stderr, disable=args.quiet, dynamic_ncols=True)
        for rec in model.score_folder(src):
            writer.write(rec)
            errors += rec.error is not None
            if first is None:
                first = time.perf_counter() - t0
            bar.update(1)
        bar.close()
        n = writer.count
    secs = time.perf_counter() - t0
    if not args.quiet:
        rate = n / secs if secs > 0 else 0.0
        print(
            f"scored {n} documents ({errors} errors) in {secs:.1f} s, {rate:.2f} docs/s; "
            f"first record after {first or 0:.1f} s -> {args.output or 'stdout'}",
            file=sys.stderr,
        )
    return 0


def _print_metrics(metrics: dict[str, Any]) -> None:
    from .evaluation import format_report

    for name, m in metrics.items():
        print(format_report(name, m))
        print()


def cmd_train(args: argparse.Namespace) -> int:
    from .training import render_card, train

    cfg = _config(args, **({"body": args.body} if args.body else {}))
    t0 = time.perf_counter()
    result = train(args.data, config=cfg, progress=lambda m: print(f"[{time.perf_counter() - t0:6.1f}s] {m}", file=sys.stderr))
    out = result.model.save(args.output)
    (out / "MODEL_CARD.md").write_text(render_card(result.model.manifest))
    _print_metrics(result.metrics)
    print(f"model written to {out} in {time.perf_counter() - t0:.1f} s "
          f"(encode {result.seconds['encode']:.1f} s, fit {result.seconds['fit']:.1f} s)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_records, load_eval_examples
    from .model import SinorusModel

    model = SinorusModel.load(args.model, config=_config(args))
    groups = load_eval_examples(args.data, split=args.split)
    metrics = {}
    for name, examples in groups.items():
        t0 = time.perf_counter()
        records = list(model.score_documents(e.document() for e in examples))
        metrics[name] = evaluate_records(records, examples, worst=args.worst)
        metrics[name]["docs_per_s"] = len(examples) / (time.perf_counter() - t0)
    if args.json:
        print(json.dumps(metrics, indent=2, ensure_ascii=False))
    else:
        _print_metrics(metrics)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .model import default_model_path, read_manifest

    path = Path(args.model) if args.model else default_model_path()
    manifest = read_manifest(path)
    if args.json:
        print(json.dumps(manifest, indent=2, ensure_ascii=False))
        return 0
    body, tr = manifest["body"], manifest.get("training", {})
    print(f"model:    {path}")
    print(f"created:  {manifest.get('created')} (sinorus {manifest.get('sinorus_version')})")
    print(f"body:     {body['name']} ({body['dimension']} dims, chunks <= {body['max_tokens']} tokens)")
    print(f"data:     {tr.get('data_dir')} sha256 {str(tr.get('data_hash'))[:16]}…, "
          f"{tr.get('train_documents')} training documents, seed {tr.get('seed')}")
    for source, s in tr.get("counts", {}).items():
        print(f"  {source}: {s['documents']} docs, themes {s['themes']}, relevant {s['relevant']}, languages {s['languages']}")
    print("thresholds: themes " + ", ".join(f"{k} {v:.2f}" for k, v in manifest["thresholds"]["themes"].items())
          + f"; relevance {manifest['thresholds']['relevance']:.2f}")
    print("held-out metrics:")
    for split, m in manifest.get("metrics", {}).items():
        print(f"  {split:16s} n={m['documents']:4d}  macro-F1 {m['macro_f1']:.3f}  relevance F1 "
              f"{m['relevance']['f1']:.3f}  dyad acc {m['dyad_accuracy']:.3f}  indicator rho {m['indicator_spearman_mean']:.3f}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from .training import corpus_stats, load_examples, make_splits

    if args.write_splits:
        table = make_splits(args.data)
        print(f"splits.json: {len(table['real'])} snippets, {len(table['written'])} stories", file=sys.stderr)
    stats = corpus_stats(load_examples(args.data))
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    for source, s in stats.items():
        print(f"== {source}: {s['documents']} documents" + (f" in {s['stories']} stories" if "stories" in s else ""))
        print(f"splits      {s['splits']}")
        print(f"languages   {s['languages']}")
        print(f"themes      {s['themes']}")
        print(f"relevant    {s['relevant']}   hard negatives {s['hard_negatives']}   off-topic {s['off_topic']}")
        for ind, lv in s["levels"].items():
            print(f"{ind:22s} levels 0/1/2: {lv[0]}/{lv[1]}/{lv[2]}")
        if "words" in s:
            print(f"words       {s['words']}   years {s['years'][0]}–{s['years'][1]}")
            print(f"genres      {s['genres']}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sinorus",
        description="Triage news about Sino-Russian defense cooperation: themes, relevance, dyad and watch "
        "indicators with evidence, for every document of a folder.",
        epilog="Examples:\n  sinorus score examples/ -o scores.jsonl\n  sinorus train --data data/ -o models/mine\n"
        "  sinorus eval --data data/ --model models/mine\n  sinorus info",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from . import __version__

    p.add_argument("--version", action="version", version=f"sinorus {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, *, model: bool = True) -> None:
        if model:
            sp.add_argument("--model", "-m", help="model folder (default: the shipped models/default)")
        sp.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"), help="where the body runs (default: cpu)")
        sp.add_argument("--batch-size", type=int, help="chunks per forward pass (default: 32)")
        sp.add_argument("--cache", help=f"embedding cache folder (default: {DEFAULT_CACHE})")
        sp.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")

    s = sub.add_parser("score", help="score every document of a folder or file",
                       description="Score every document under INPUT (.txt .md .html .htm .pdf .json .jsonl, "
                       "recursively). Every document yields exactly one record, scored or with an error.")
    s.add_argument("input", help="folder (read recursively) or single file")
    s.add_argument("-o", "--output", help="output file: .jsonl, .csv or .parquet (default: JSON Lines on stdout)")
    s.add_argument("--with-text", action="store_true", help="add the extracted text each offset refers to")
    s.add_argument("--doc-batch", type=int, help="documents embedded together (default: 32)")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    common(s)
    s.set_defaults(func=cmd_score)

    t = sub.add_parser("train", help="train a model from a labeled corpus folder",
                       description="Train every head on the corpus 'train' split, print validation and test "
                       "metrics, and write a model folder.")
    t.add_argument("--data", default="data", help="corpus folder (default: data)")
    t.add_argument("-o", "--output", required=True, help="model folder to write")
    t.add_argument("--body", default=None,
                   help="embedding body; join names with '+' to concatenate (default: all-MiniLM-L6-v2@en+use-multilingual-v3)")
    t.add_argument("--seed", type=int, help="random seed (default: 0)")
    t.add_argument("--C", type=float, help="inverse regularisation of the heads (default: 0.3)")
    common(t, model=False)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("eval", help="measure a model on labeled data",
                       description="Per-theme precision/recall/F1, macro-F1, relevance F1, dyad accuracy, indicator "
                       "accuracy, Spearman and AP, calibration error, results by language and the worst errors.")
    e.add_argument("--data", required=True, help="corpus folder (its test split) or a labeled .jsonl file")
    e.add_argument("--split", default="test", choices=("train", "validation", "test"), help="split of a corpus folder")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.add_argument("--worst", type=int, default=10, help="worst errors to list (default: 10)")
    common(e)
    e.set_defaults(func=cmd_eval)

    i = sub.add_parser("info", help="what a model was trained on and how well it did")
    i.add_argument("model", nargs="?", help="model folder (default: the shipped model)")
    i.add_argument("--json", action="store_true", help="print the whole manifest")
    i.set_defaults(func=cmd_info)

    d = sub.add_parser("data", help="corpus size and label counts")
    d.add_argument("data", nargs="?", default="data", help="corpus folder (default: data)")
    d.add_argument("--write-splits", action="store_true", help="assign new items to splits in splits.json")
    d.add_argument("--json", action="store_true", help="print JSON")
    d.set_defaults(func=cmd_data)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    _quiet_libraries()
    from .errors import SinorusError

    try:
        return int(args.func(args))
    except SinorusError as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
