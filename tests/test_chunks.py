import pytest

from sinorus.chunks import Span, cut_long_span, make_chunks, split_sentences
from sinorus.embeddings import HashingBody


def sentences(text):
    return [text[s.start:s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    "text, want",
    [
        ("Mr. Li met Gen. Ivanov in the U.S. capital. They spoke. \"Really?\" he asked.",
         ["Mr. Li met Gen. Ivanov in the U.S. capital.", "They spoke.", "\"Really?\" he asked."]),
        ("Headline\n\nFirst para. Second one!\nThird line", ["Headline", "First para.", "Second one!", "Third line"]),
        ("МОСКВА, 12 июля. /ТАСС/. Россия и Китай провели учения. Т.е. всё прошло штатно.",
         ["МОСКВА, 12 июля.", "/ТАСС/.", "Россия и Китай провели учения.", "Т.е. всё прошло штатно."]),
        ("中俄两国空军今天举行联合空中战略巡航。这是首次！你知道吗？好的",
         ["中俄两国空军今天举行联合空中战略巡航。", "这是首次！", "你知道吗？", "好的"]),
        ("قالت الوزارة إن التدريبات بدأت. هل ستستمر؟ نعم.", ["قالت الوزارة إن التدريبات بدأت.", "هل ستستمر؟", "نعم."]),
        ("Price rose to 3.5 percent. Then fell.", ["Price rose to 3.5 percent.", "Then fell."]),
    ],
)
def test_split_sentences(text, want):
    assert sentences(text) == want


def test_spans_are_exact_offsets_and_cover_all_words():
    text = "  One two. Three four!\n\n Five?  Six  "
    spans = split_sentences(text)
    assert all(text[s.start:s.end] == text[s.start:s.end].strip() for s in spans)
    covered = "".join(text[s.start:s.end] for s in spans).replace(" ", "")
    assert covered == text.replace(" ", "").replace("\n", "")


def test_long_sentence_is_cut_not_truncated():
    body = HashingBody(max_tokens=10)
    text = " ".join(f"word{i}" for i in range(95)) + "."
    chunks = make_chunks(text, None, limit=10, count=body.count_tokens)
    assert len(chunks) == 10
    assert all(c.tokens <= 10 for c in chunks)
    assert sum(c.tokens for c in chunks) == 95
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_long_cjk_sentence_without_spaces_is_cut():
    body = HashingBody(max_tokens=16)
    text = "中俄两国海军举行联合演习" * 12 + "。"
    chunks = make_chunks(text, None, limit=16, count=body.count_tokens)
    assert all(c.tokens <= 16 for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_cut_long_span_single_huge_word():
    def count(texts):
        return [len(t) for t in texts]

    text = "x" * 50
    parts = cut_long_span(text, Span(0, 50), 8, count)
    assert [p.end - p.start for p in parts] == [8, 8, 8, 8, 8, 8, 2]


def test_title_chunk_comes_first_and_has_no_offsets():
    body = HashingBody()
    chunks = make_chunks("Body one. Body two.", "The title", limit=64, count=body.count_tokens)
    assert chunks[0].is_title and chunks[0].text == "The title"
    assert [c.text for c in chunks[1:]] == ["Body one.", "Body two."]
