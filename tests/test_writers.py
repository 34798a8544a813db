import csv
import json

import pytest

from sinorus.errors import ConfigError
from sinorus.writers import open_writer


@pytest.fixture()
def records(model):
    return model.score(["China and Russia held joint naval drills.", ""])


def test_jsonl(records, tmp_path):
    path = tmp_path / "out.jsonl"
    with open_writer(path, with_text=True) as w:
        for r in records:
            w.write(r)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["0", "1"]
    assert rows[0]["text"] == "China and Russia held joint naval drills."
    assert rows[1]["error"]["type"] == "DocumentError"


def test_csv(records, tmp_path):
    path = tmp_path / "out.csv"
    with open_writer(path) as w:
        for r in records:
            w.write(r)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2 and "p_procurement" in rows[0] and "deal_depth_level" in rows[0]
    assert rows[1]["error_type"] == "DocumentError"


def test_parquet(records, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "out.parquet"
    with open_writer(path) as w:
        for r in records:
            w.write(r)
    table = pq.read_table(path).to_pylist()
    assert [r["id"] for r in table] == ["0", "1"]
    assert table[0]["indicators"]["deal_depth"]["level"] in (0, 1, 2)
    assert table[1]["themes"] is None


def test_unknown_extension(tmp_path):
    with pytest.raises(ConfigError, match="use .jsonl, .csv or .parquet"):
        open_writer(tmp_path / "out.xlsx")
