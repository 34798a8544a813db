"""End-to-end scoring throughput and peak memory against the raw encoder on the same chunks.

    python bench/throughput.py [--model models/default] [--n 200] [--words 800]

Measures, on the same 200 articles of about 800 words:
- raw encoder: ``body.encode`` on the pipeline's chunks (chunking untimed);
- end to end: reading .txt files, language id, chunking, encoding, heads, evidence and
  writing JSON Lines, in process, warm, without the embedding cache;
- the CLI as a user runs it (``sinorus score``, cold start): wall time, first-record latency
  and peak memory (max RSS of the child process).
Writes bench/results/throughput.json and prints a table.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, long_articles, machine, save, words  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--words", type=int, default=800)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    import sinorus
    from sinorus.chunks import make_chunks
    from sinorus.config import Config
    from sinorus.documents import iter_documents
    from sinorus.embeddings import embed
    from sinorus.writers import open_writer

    docs = long_articles(args.n, args.words)
    tmp = Path(tempfile.mkdtemp(prefix="sinorus-bench-"))
    folder = tmp / "docs"
    folder.mkdir()
    for name, text in docs:
        (folder / name).write_text(text, encoding="utf-8")
    mean_words = sum(words(t, n.split("_")[1][:2]) for n, t in docs) / len(docs)

    model = sinorus.load(args.model, config=Config(cache_dir=None, device=args.device))
    body = model.body
    # Raw encoder on exactly the pipeline's chunks, routed by language as the pipeline routes
    # them (reading, language id and chunking are not timed).
    chunks, langs = [], []
    for d in iter_documents(folder):
        d = d.with_language()
        for c in make_chunks(d.text, d.title, limit=model.chunk_limit, count=body.count_tokens):
            chunks.append(c.text)
            langs.append(d.lang)
    embed(chunks[:64], body, None, languages=langs[:64])  # warm up
    t0 = time.perf_counter()
    embed(chunks, body, None, languages=langs)
    raw_s = time.perf_counter() - t0

    # End to end, in process, warm model, no cache.
    model.score("Warm-up text about joint naval drills.")
    t0 = time.perf_counter()
    with open_writer(tmp / "out.jsonl") as w:
        for rec in model.score_folder(folder):
            w.write(rec)
    e2e_s = time.perf_counter() - t0

    # The CLI as a user runs it: cold start, progress bar, summary, peak memory of the child.
    cmd = [sys.executable, "-m", "sinorus", "score", str(folder), "-o", str(tmp / "cli.jsonl"), "--model", args.model,
           "--no-cache", "--device", args.device]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    cli_s = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    m = re.search(r"first record after ([\d.]+) s", proc.stderr)
    first = float(m.group(1)) if m else float("nan")
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)

    result = {
        "model": args.model, "body": body.name, "device": args.device, "machine": machine(),
        "documents": len(docs), "mean_words": round(mean_words), "chunks": len(chunks),
        "raw_encoder": {"seconds": round(raw_s, 2), "docs_per_s": round(len(docs) / raw_s, 2),
                        "chunks_per_s": round(len(chunks) / raw_s, 1)},
        "end_to_end": {"seconds": round(e2e_s, 2), "docs_per_s": round(len(docs) / e2e_s, 2),
                       "share_of_raw": round(raw_s / e2e_s, 3)},
        "cli": {"seconds": round(cli_s, 2), "docs_per_s": round(len(docs) / cli_s, 2),
                "first_record_s": first, "peak_rss_mb": round(peak_mb)},
    }
    save(f"throughput-{args.device}", result)
    print(f"| {len(docs)} docs × ~{round(mean_words)} words, {len(chunks)} chunks, body {body.name}, {args.device} |")
    print("| measure | seconds | docs/s |\n|---|---|---|")
    print(f"| raw encoder on the same chunks | {raw_s:.1f} | {len(docs) / raw_s:.2f} |")
    print(f"| end to end, warm, in process | {e2e_s:.1f} | {len(docs) / e2e_s:.2f} ({100 * raw_s / e2e_s:.0f}% of raw) |")
    print(f"| `sinorus score` CLI, cold start | {cli_s:.1f} | {len(docs) / cli_s:.2f} |")
    print(f"first record after {first:.1f} s; peak memory of the CLI {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
