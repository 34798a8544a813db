import json

import pytest

from sinorus.config import Config
from sinorus.errors import ConfigError, DataError
from sinorus.training import load_corpus, load_examples, make_splits, train


def test_corpus_loads_as_datasetdict(corpus_dir):
    dd = load_corpus(corpus_dir)
    assert set(dd) == {"train", "validation", "test"}
    assert sum(len(dd[s]) for s in dd) == 60
    row = dd["train"][0]
    assert len(row["themes"]) == 4 and len(row["levels"]) == 4


def test_stories_never_straddle_splits(corpus_dir):
    seen = {}
    for e in load_examples(corpus_dir):
        if e.source == "written":
            assert seen.setdefault(e.story, e.split) == e.split


def test_splits_are_stable_when_items_are_added(corpus_dir, tmp_path):
    import shutil

    d = shutil.copytree(corpus_dir, tmp_path / "c")
    before = json.loads((d / "splits.json").read_text())
    extra = json.loads((d / "articles" / "t.jsonl").read_text().splitlines()[0])
    extra.update(id="t-9999", story="t-s9999")
    with (d / "articles" / "t.jsonl").open("a") as fh:
        fh.write(json.dumps(extra) + "\n")
    with pytest.raises(DataError, match="no recorded split"):
        load_examples(d)
    after = make_splits(d)
    assert all(after["written"][k] == v for k, v in before["written"].items())
    assert "t-s9999" in after["written"]


def test_same_seed_same_metrics(corpus_dir, trained):
    again = train(corpus_dir, config=Config(body="hashing-test", cv_folds=3))
    # Compare as JSON: NaN (an undefined Spearman, say) is never == itself.
    assert json.dumps(again.metrics, sort_keys=True) == json.dumps(trained.metrics, sort_keys=True)
    assert {"test_written", "test_real"} <= set(trained.metrics) <= {
        "validation_written", "validation_real", "test_written", "test_real"}


def test_config_errors_name_the_value():
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, got 0"):
        Config(batch_size=0)
    with pytest.raises(ConfigError, match="device must be one of"):
        Config(device="tpu")


def test_malformed_record_is_named(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "x.jsonl").write_text(json.dumps({"id": "x-1", "text": "t"}) + "\n")
    with pytest.raises(DataError, match="x-1"):
        load_examples(tmp_path, with_splits=False)


def test_model_card_reports_languages_with_intervals_and_the_blend(model_dir):
    from sinorus.training import LEXICAL_BLEND, render_card

    manifest = json.loads((model_dir / "manifest.json").read_text())
    card = render_card(manifest)
    assert "| test_written |" in card and "| test_real |" in card
    by_lang = manifest["metrics"]["test_written"]["by_language"]
    for lang, v in by_lang.items():
        assert f"| {lang} | {v['documents']} |" in card
    assert "bootstrap" in card
    for lang, heads in LEXICAL_BLEND.items():
        assert f"- `{lang}`: {', '.join(heads)}" in card
