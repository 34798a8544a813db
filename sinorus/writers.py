"""Writers: records out to JSON Lines, CSV or Parquet, chosen by file extension.

Every writer streams: records are written as they come, so a long batch
run keeps what it has scored even if it is interrupted.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO, Any

from .errors import ConfigError
from .records import INDICATORS, THEMES, Record

__all__ = ["RecordWriter", "JSONLWriter", "CSVWriter", "ParquetWriter", "open_writer", "flatten"]


class RecordWriter:
    """Base class: ``write(record)`` then ``close()``; usable as a context manager."""

    def __init__(self, *, with_text: bool = False) -> None:
        self.with_text = with_text
        self.count = 0

    def write(self, record: Record) -> None:
        self._write(record)
        self.count += 1

    def _write(self, record: Record) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Flush and close the output."""

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JSONLWriter(RecordWriter):
    """One JSON object per line, in the documented record schema."""

    def __init__(self, path: str | Path | None, *, with_text: bool = False) -> None:
        super().__init__(with_text=with_text)
        self._own = path is not None and str(path) != "-"
        self._fh: IO[str] = open(path, "w", encoding="utf-8") if self._own else sys.stdout  # type: ignore[arg-type]

    def _write(self, record: Record) -> None:
        self._fh.write(json.dumps(record.to_dict(with_text=self.with_text), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._own:
            self._fh.close()


def flatten(record: Record, *, with_text: bool = False) -> dict[str, Any]:
    """A record as one flat row: scalars as columns, lists joined by ';', evidence as JSON."""
    d = record.to_dict(with_text=with_text)
    row: dict[str, Any] = {k: d[k] for k in ("id", "path", "title", "date", "lang", "text_chars")}
    for t in THEMES:
        row[f"p_{t}"] = None if d["themes"] is None else d["themes"][t]
    row["labels"] = ";".join(d["labels"])
    row["relevance"] = d["relevance"]
    row["relevant"] = d["relevant"]
    row["dyad"] = ";".join(d["dyad"])
    for ind in INDICATORS:
        v = None if d["indicators"] is None else d["indicators"][ind]
        row[f"{ind}_level"] = None if v is None else v["level"]
        row[f"{ind}_score"] = None if v is None else v["score"]
        row[f"{ind}_evidence"] = None if v is None else json.dumps(v["evidence"], ensure_ascii=False)
    for k, v in d["coverage"].items():
        row[f"coverage_{k}"] = v
    row["error_type"] = None if d["error"] is None else d["error"]["type"]
    row["error_message"] = None if d["error"] is None else d["error"]["message"]
    if with_text:
        row["text"] = d["text"]
    return row


class CSVWriter(RecordWriter):
    """A flat CSV table (see :func:`flatten`)."""

    def __init__(self, path: str | Path, *, with_text: bool = False) -> None:
        super().__init__(with_text=with_text)
        self._fh = open(path, "w", encoding="utf-8", newline="")
        self._csv: csv.DictWriter[str] | None = None

    def _write(self, record: Record) -> None:
        row = flatten(record, with_text=self.with_text)
        if self._csv is None:
            self._csv = csv.DictWriter(self._fh, fieldnames=list(row))
            self._csv.writeheader()
        self._csv.writerow(row)
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class ParquetWriter(RecordWriter):
    """A Parquet file with the nested record schema, written in row groups."""

    def __init__(self, path: str | Path, *, with_text: bool = False, row_group: int = 256) -> None:
        super().__init__(with_text=with_text)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise ConfigError("writing .parquet needs pyarrow: pip install pyarrow") from exc
        self._pa, self._pq = pa, pq
        self._schema = _arrow_schema(pa, with_text)
        self._writer = pq.ParquetWriter(str(path), self._schema)
        self._rows: list[dict[str, Any]] = []
        self._row_group = row_group

    def _write(self, record: Record) -> None:
        self._rows.append(record.to_dict(with_text=self.with_text))
        if len(self._rows) >= self._row_group:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _arrow_schema(pa: Any, with_text: bool) -> Any:
    evidence = pa.list_(pa.struct([("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                                   ("score", pa.float64())]))
    indicator = pa.struct([("level", pa.int8()), ("score", pa.float64()), ("evidence", evidence)])
    fields = [
        ("id", pa.string()), ("path", pa.string()), ("title", pa.string()), ("date", pa.string()),
        ("lang", pa.string()), ("text_chars", pa.int64()),
        ("themes", pa.struct([(t, pa.float64()) for t in THEMES])),
        ("labels", pa.list_(pa.string())), ("relevance", pa.float64()), ("relevant", pa.bool_()),
        ("dyad", pa.list_(pa.string())),
        ("indicators", pa.struct([(i, indicator) for i in INDICATORS])),
        ("coverage", pa.struct([("tokens", pa.int64()), ("embedded_tokens", pa.int64()), ("chunks", pa.int64())])),
        ("error", pa.struct([("type", pa.string()), ("message", pa.string())])),
    ]
    if with_text:
        fields.append(("text", pa.string()))
    return pa.schema(fields)


_WRITERS = {".jsonl": JSONLWriter, ".json": JSONLWriter, ".csv": CSVWriter, ".parquet": ParquetWriter}


def open_writer(path: str | Path | None, *, with_text: bool = False) -> RecordWriter:
    """The writer for ``path``'s extension (``.jsonl``, ``.csv``, ``.parquet``); ``None`` or ``-`` is JSONL on stdout."""
    if path is None or str(path) == "-":
        return JSONLWriter(None, with_text=with_text)
    suffix = Path(path).suffix.lower()
    if suffix not in _WRITERS:
        raise ConfigError(f"cannot write {suffix or 'files without an extension'!r}; use .jsonl, .csv or .parquet")
    return _WRITERS[suffix](path, with_text=with_text)
