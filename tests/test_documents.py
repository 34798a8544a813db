import json
from pathlib import Path

import pytest
from pdfgen import write_pdf

from sinorus.documents import Document, decode_bytes, detect_language, iter_documents, normalize_date
from sinorus.errors import DocumentError

RU = "Россия и Китай провели совместные военно-морские учения в Японском море."
ZH = "中俄两国海军在日本海举行联合军事演习，这是双方第十次举行此类演习。"


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251", "gb18030"]
)
def test_decode_detects_encoding(encoding):
    text = RU if encoding == "cp1251" else ZH if encoding == "gb18030" else RU + " " + ZH
    got, _ = decode_bytes(text.encode(encoding))
    assert got == text


def test_decode_cp1251_longer_text_round_trips():
    text = (RU + " ") * 5
    got, enc = decode_bytes(text.encode("cp1251"))
    assert got == text
    assert enc != "utf-8"


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Russian and Chinese warships began a joint naval exercise in the Sea of Japan on Monday.", "en"),
        (RU, "ru"),
        (ZH, "zh"),
        ("Les navires russes et chinois ont entamé des manœuvres conjointes en mer du Japon.", "fr"),
        ("بدأت السفن الحربية الروسية والصينية مناورات مشتركة في بحر اليابان.", "ar"),
        ("12345 !!!", None),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_detect_language_mixed_text_takes_majority():
    mixed = ZH + " The drill, called Joint Sea, was " + ZH
    assert detect_language(mixed) == "zh"


@pytest.mark.parametrize("value, want", [
    ("2019-07-23", "2019-07-23"), ("2019-07-23T10:00:00Z", "2019-07-23"), ("23 July 2019", "2019-07-23"),
    ("not a date", None), (None, None), ("2019-02-31", None),
])
def test_normalize_date(value, want):
    assert normalize_date(value) == want


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Plain text article about joint drills.", encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("# Heading\n\nMarkdown body.", encoding="utf-8")
    (tmp_path / "c.txt").write_bytes(RU.encode("cp1251"))
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"id": "x1", "text": "First.", "title": "T1", "date": "2020-01-02", "url": "http://e/1"}) + "\n"
        + "{broken json\n"
        + json.dumps({"text": "Second, no id."}) + "\n"
        + json.dumps({"id": "x3", "title": "no text"}) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "e.json").write_text(json.dumps([{"id": "j1", "text": "One."}, {"id": "j2", "text": "Two."}]))
    (tmp_path / "f.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".hidden.txt").write_text("skip me")
    (tmp_path / "g.html").write_text(
        "<html><head><title>Page title</title><meta name='date' content='2021-10-18'></head><body>"
        "<nav>Home | News | Contact</nav><article><h1>Joint patrol near Japan</h1>"
        "<p>Ten Chinese and Russian warships sailed through the Tsugaru Strait on Monday in their first joint "
        "naval patrol in the western Pacific, the defense ministry in Tokyo said.</p>"
        "<p>The flotilla then moved south along the Pacific coast of Japan.</p></article>"
        "<footer>Copyright 2021 Example News</footer></body></html>",
        encoding="utf-8",
    )
    write_pdf(tmp_path / "h.pdf", ["Russian engineers delivered engines to China.", "Second paragraph."], title="PDF T")
    (tmp_path / "i.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "empty.txt").write_text("   \n")
    return tmp_path


def test_folder_yields_every_file_in_stable_order(tmp_path):
    docs = list(iter_documents(_folder(tmp_path)))
    ids = [d.id for d in docs]
    assert ids == [
        "a.txt", "c.txt", "x1", "d.jsonl#2", "d.jsonl#3", "d.jsonl#4", "j1", "j2", "empty.txt", "f.docx",
        "g.html", "h.pdf", "i.pdf", "sub/b.md",
    ]
    assert len(docs) == 14
    assert ids == [d.id for d in iter_documents(tmp_path)]


def test_folder_documents_content(tmp_path):
    docs = {d.id: d for d in iter_documents(_folder(tmp_path))}
    assert docs["c.txt"].text == RU
    assert docs["x1"].title == "T1" and docs["x1"].date == "2020-01-02" and docs["x1"].url == "http://e/1"
    assert docs["d.jsonl#3"].text == "Second, no id."
    assert "not valid JSON" in str(docs["d.jsonl#2"].error)
    assert "'text'" in str(docs["d.jsonl#4"].error)
    assert "unsupported file type '.docx'" in str(docs["f.docx"].error)
    assert docs["g.html"].title == "Joint patrol near Japan" or docs["g.html"].title == "Page title"
    assert docs["g.html"].date == "2021-10-18"
    assert "Tsugaru Strait" in docs["g.html"].text and "Copyright" not in docs["g.html"].text
    assert docs["h.pdf"].text.startswith("Russian engineers delivered engines to China.")
    assert docs["h.pdf"].title == "PDF T" and docs["h.pdf"].date == "2024-03-15"
    assert docs["i.pdf"].error is not None and "PDF" in str(docs["i.pdf"].error)
    assert docs["empty.txt"].error is not None
    assert all(not d.id.startswith(".") for d in docs.values())


def test_missing_source_raises(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        list(iter_documents(tmp_path / "nope"))


def test_single_file_source(tmp_path):
    p = tmp_path / "one.txt"
    p.write_text("Hello.")
    assert [d.id for d in iter_documents(p)] == ["one.txt"]


def test_with_language_keeps_given_language():
    assert Document(id="1", text=RU, lang="xx").with_language().lang == "xx"
    assert Document(id="1", text=RU).with_language().lang == "ru"


def test_pdf_lines_wrapped_inside_a_sentence_are_joined(tmp_path):
    long = "Russian officials later said that the Vympel company, a developer of early-warning radars, " * 3
    write_pdf(tmp_path / "w.pdf", [long.strip() + " The end."])
    (doc,) = iter_documents(tmp_path / "w.pdf")
    assert "\n" not in doc.text and doc.text.endswith("The end.")
