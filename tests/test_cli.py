"""The command line, run as a user runs it: a subprocess."""

import csv
import json
import subprocess
import sys

import pytest


def run(*args, check=True, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "sinorus", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


@pytest.fixture()
def folder(tmp_path):
    d = tmp_path / "docs"
    (d / "nested").mkdir(parents=True)
    (d / "a.txt").write_text("China and Russia held joint naval drills at sea.")
    (d / "nested" / "b.md").write_text("Gas exports through the pipeline rose.")
    (d / "c.jsonl").write_text('{"id": "j1", "text": "Bombers of China and Russia flew a joint patrol."}\nnot json\n')
    (d / "d.bin").write_bytes(b"\x00\x01")
    return d


def test_help_lists_commands():
    out = run("--help").stdout
    for cmd in ("score", "train", "eval", "info", "data"):
        assert cmd in out
    assert "sinorus score examples/" in out
    assert "--with-text" in run("score", "--help").stdout


def test_score_jsonl_one_record_per_document(folder, model_dir, tmp_path):
    out = tmp_path / "s.jsonl"
    proc = run("score", folder, "-o", out, "--model", model_dir, "--no-cache", "--with-text")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a.txt", "j1", "c.jsonl#2", "d.bin", "nested/b.md"]
    assert [r["error"] is None for r in rows] == [True, True, False, False, True]
    assert rows[0]["text"] == "China and Russia held joint naval drills at sea."
    assert "scored 5 documents (2 errors)" in proc.stderr and "docs/s" in proc.stderr


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_score_other_formats(folder, model_dir, tmp_path, ext):
    out = tmp_path / f"s.{ext}"
    run("score", folder, "-o", out, "--model", model_dir, "--no-cache", "-q")
    if ext == "csv":
        assert len(list(csv.DictReader(out.open()))) == 5
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(out).num_rows == 5


def test_score_to_stdout_and_cache(folder, model_dir, tmp_path):
    cache = tmp_path / "cache"
    first = run("score", folder, "--model", model_dir, "--cache", cache, "-q").stdout
    assert (cache / "embeddings-v1.sqlite").exists()
    second = run("score", folder, "--model", model_dir, "--cache", cache, "-q").stdout
    assert first == second and len(first.splitlines()) == 5


def test_score_missing_input_is_an_error(model_dir, tmp_path):
    proc = run("score", tmp_path / "nope", "--model", model_dir, check=False)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr


def test_bad_model_is_a_clear_error(folder, tmp_path):
    proc = run("score", folder, "--model", tmp_path, check=False)
    assert proc.returncode == 1 and "manifest.json" in proc.stderr and "Traceback" not in proc.stderr


def test_train_info_eval_data(corpus_dir, tmp_path):
    out = tmp_path / "m"
    proc = run("train", "--data", corpus_dir, "-o", out, "--body", "hashing-test", "--no-cache")
    assert "test_real" in proc.stdout and "macro-F1" in proc.stdout
    assert {"manifest.json", "heads.npz", "MODEL_CARD.md"} <= {p.name for p in out.iterdir()}
    info = run("info", out).stdout
    assert "hashing-test" in info and "held-out metrics" in info
    ev = json.loads(run("eval", "--data", corpus_dir, "--model", out, "--json", "--no-cache").stdout)
    assert set(ev) == {"test_written", "test_real"} and 0 <= ev["test_real"]["macro_f1"] <= 1
    data = run("data", corpus_dir).stdout
    assert "real: 30 documents" in data and "written: 30 documents" in data
