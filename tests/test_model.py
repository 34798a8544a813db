import json
import shutil

import numpy as np
import pytest

import sinorus
from sinorus.documents import Document
from sinorus.errors import BodyMismatchError, ModelLoadError, UnsafeModelError
from sinorus.model import SinorusModel, encode_documents
from sinorus.records import INDICATORS, THEMES, Record

TEXT = (
    "China and Russia agreed to exchange missile early-warning data. "
    "Intelligence services of China and Russia share satellite surveillance information. "
    "Gas exports through the pipeline rose by 12 percent this year."
)


def test_score_one_and_many(model):
    rec = model.score(TEXT)
    assert isinstance(rec, Record) and rec.error is None
    assert set(rec.themes) == set(THEMES) and 0 <= rec.relevance <= 1
    recs = model.score([TEXT, "Another text about grain."])
    assert [r.id for r in recs] == ["0", "1"]


def test_record_schema_and_exact_evidence(model):
    d = model.score(TEXT).to_dict()
    assert list(d) == ["id", "path", "title", "date", "lang", "text_chars", "themes", "labels", "relevance",
                       "relevant", "dyad", "indicators", "coverage", "error"]
    assert d["lang"] == "en" and d["text_chars"] == len(TEXT)
    assert set(d["indicators"]) == set(INDICATORS)
    for ind in d["indicators"].values():
        assert ind["level"] in (0, 1, 2) and 0 <= ind["score"] <= 1
        assert len(ind["evidence"]) <= 3
        assert bool(ind["evidence"]) == (ind["level"] > 0)
        for ev in ind["evidence"]:
            assert TEXT[ev["start"]:ev["end"]] == ev["text"]
    assert d["coverage"]["tokens"] == d["coverage"]["embedded_tokens"] > 0


def test_learns_the_fixture_themes(model):
    rec = model.score(TEXT)
    assert "intel_sharing" in rec.labels
    assert rec.themes["intel_sharing"] > rec.themes["procurement"]


def test_every_document_yields_one_record_in_order(model):
    docs = [
        Document(id="a", text=TEXT),
        Document(id="b", text=""),
        Document(id="c", text="", error=sinorus.DocumentError("unreadable")),
        Document(id="d", text="", title="Only a title about joint naval drills"),
        Document(id="e", text="Россия и Китай провели учения. 中俄举行联合演习。"),
    ]
    recs = list(model.score_documents(docs))
    assert [r.id for r in recs] == ["a", "b", "c", "d", "e"]
    assert recs[1].error.type == "DocumentError" and recs[1].themes is None
    assert recs[2].error.message == "unreadable"
    assert recs[3].error is None and recs[3].coverage.chunks == 1
    assert recs[4].error is None


def test_long_document_is_fully_covered(model):
    text = " ".join(["Bombers of China and Russia flew a joint patrol over the sea."] * 400)
    rec = model.score(text)
    assert rec.coverage.tokens == rec.coverage.embedded_tokens == 400 * 12


def test_batch_failure_is_isolated(model, monkeypatch):
    real = model.body.encode

    def flaky(texts):
        if any("poison" in t for t in texts):
            raise RuntimeError("body crashed")
        return real(texts)

    monkeypatch.setattr(model.body, "encode", flaky)
    recs = list(model.score_documents(Document(id=str(i), text=t) for i, t in
                                      enumerate(["fine one.", "fine two.", "poison pill.", "fine three."])))
    assert [r.error is None for r in recs] == [True, True, False, True]
    assert recs[2].error.type == "RuntimeError"


def test_save_load_round_trip(model, model_dir, tmp_path):
    out = model.save(tmp_path / "copy")
    again = SinorusModel.load(out)
    a, b = model.score(TEXT), again.score(TEXT)
    assert a.themes == b.themes and a.indicators == b.indicators
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["body"]["name"] == "hashing-test"
    assert set(manifest["thresholds"]["themes"]) == set(THEMES)
    assert manifest["training"]["data_hash"]


def test_default_load_uses_env(model_dir, monkeypatch):
    monkeypatch.setenv("SINORUS_MODEL", str(model_dir))
    assert sinorus.load().body.name == "hashing-test"


@pytest.fixture()
def copy_dir(model_dir, tmp_path):
    return shutil.copytree(model_dir, tmp_path / "m")


class Boom:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickled_arrays_are_refused(copy_dir):
    arrays = dict(np.load(copy_dir / "heads.npz"))
    arrays["themes/coef_"] = np.array([Boom()], dtype=object)
    np.savez(copy_dir / "heads.npz", **arrays)
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["heads"]["sha256"] = None  # an attacker can also rewrite the checksum
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UnsafeModelError, match="object arrays"):
        SinorusModel.load(copy_dir)


def test_pickle_files_are_refused(copy_dir):
    (copy_dir / "head.pkl").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with pytest.raises(UnsafeModelError, match="head.pkl"):
        SinorusModel.load(copy_dir)


def test_manifest_pointing_elsewhere_is_refused(copy_dir):
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["heads"]["file"] = "evil.joblib.npz"
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UnsafeModelError, match="only 'heads.npz'"):
        SinorusModel.load(copy_dir)


def test_unknown_manifest_fields_are_refused(copy_dir):
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["loader"] = "os.system"
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UnsafeModelError, match="unexpected fields"):
        SinorusModel.load(copy_dir)


def test_altered_heads_fail_the_checksum(copy_dir):
    arrays = dict(np.load(copy_dir / "heads.npz"))
    arrays["themes/intercept_"] = arrays["themes/intercept_"] + 1
    np.savez(copy_dir / "heads.npz", **arrays)
    with pytest.raises(ModelLoadError, match="checksum"):
        SinorusModel.load(copy_dir)


def test_body_mismatch_is_refused(copy_dir):
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["body"]["fingerprint"] = "hashing-test|dim=256|max=32"
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BodyMismatchError, match="retrain"):
        SinorusModel.load(copy_dir)


def test_missing_folder_message(tmp_path):
    with pytest.raises(ModelLoadError, match="no model folder"):
        SinorusModel.load(tmp_path / "nothing")


def test_altered_lexicon_is_refused(copy_dir):
    vocab = json.loads((copy_dir / "lexicon.json").read_text())
    vocab["word"][0] = "tampered"
    (copy_dir / "lexicon.json").write_text(json.dumps(vocab))
    with pytest.raises(ModelLoadError, match="checksum"):
        SinorusModel.load(copy_dir)


def test_lexical_head_is_averaged_into_every_document_head_for_english_only(model):
    assert model.lexical is not None
    assert model.lexical_heads == ("themes", "relevance", "dyad", "levels")
    from sinorus.training import LEXICAL_BLEND

    assert model.lexical_blend == LEXICAL_BLEND and "fr" not in model.lexical_blend
    assert model.lexical.n_outputs_ == 4 + 1 + 2 + 8
    rec = model.score(TEXT)
    lex = model.lexical.predict_proba([TEXT])[0]
    X = encode_documents([Document(id="t", text=TEXT).with_language()], model.body, limit=model.chunk_limit)[0].features
    emb = model.heads["themes"].predict_proba(X[None])[0]
    np.testing.assert_allclose([rec.themes[t] for t in THEMES], (emb + lex[:4]) / 2)
    assert rec.labels == tuple(t for t in THEMES if rec.themes[t] >= 0.5)
    assert rec.lang == "en" and rec.relevant == (rec.relevance >= 0.5)
    fr_text = "La Russie et la Chine ont organisé des exercices navals conjoints en mer du Japon cette semaine."
    fr = model.score(fr_text)
    assert fr.lang == "fr"
    Xf = encode_documents([Document(id="f", text=fr_text).with_language()], model.body, limit=model.chunk_limit)[0].features
    np.testing.assert_allclose(fr.relevance, model.heads["relevance"].predict_proba(Xf[None])[0, 0])
    assert fr.relevant == (fr.relevance >= float(model.heads["relevance"].thresholds_[0]))


def test_blend_is_per_language_and_per_head(model):
    blend = {"en": ("relevance",), "ru": ("themes", "dyad")}
    m = SinorusModel(model.body, model.heads, lexical=model.lexical, lexical_heads=model.lexical_heads,
                     lexical_blend=blend)
    docs = [Document(id="e", text=TEXT).with_language(),
            Document(id="r", text="Россия и Китай провели совместные учения в море у берегов Японии.").with_language(),
            Document(id="z", text="中俄两国海军在日本海举行联合演习。").with_language()]
    X = np.vstack([e.features for e in encode_documents(docs, m.body, limit=m.chunk_limit)])
    proba, cut = m._document_proba(docs, X)
    lex = m.lexical.predict_proba([(d.title or "") + "\n" + d.text for d in docs])
    emb = {h: m.heads[h].predict_proba(X) for h in ("themes", "relevance", "dyad")}
    np.testing.assert_allclose(proba["relevance"][0, 0], (emb["relevance"][0, 0] + lex[0, 4]) / 2)
    np.testing.assert_allclose(proba["themes"][0], emb["themes"][0])        # en: themes not blended
    np.testing.assert_allclose(proba["themes"][1], (emb["themes"][1] + lex[1, :4]) / 2)
    np.testing.assert_allclose(proba["dyad"][1], (emb["dyad"][1] + lex[1, 5:7]) / 2)
    np.testing.assert_allclose(proba["relevance"][1], emb["relevance"][1])  # ru: relevance not blended
    for h in ("themes", "relevance", "dyad"):                                # zh: nothing blended
        np.testing.assert_allclose(proba[h][2], emb[h][2])
    assert cut["relevance"][0, 0] == 0.5 and cut["themes"][1].tolist() == [0.5] * 4
    assert cut["themes"][0].tolist() == m.heads["themes"].thresholds_.tolist()
    with pytest.raises(ModelLoadError, match="evidence"):
        SinorusModel(m.body, m.heads, lexical=m.lexical, lexical_heads=m.lexical_heads,
                     lexical_blend={"en": ("evidence",)})


def test_lexical_head_must_fit_the_heads_it_serves(model):
    with pytest.raises(ModelLoadError, match="needs? 1|need 1"):
        SinorusModel(model.body, model.heads, lexical=model.lexical, lexical_heads=("relevance",))
    with pytest.raises(ModelLoadError, match="evidence"):
        SinorusModel(model.body, model.heads, lexical=model.lexical, lexical_heads=("evidence",))


def test_a_model_folder_with_a_relevance_only_lexicon_still_loads(copy_dir, model):
    from sinorus.heads import LexicalScorer

    manifest = json.loads((copy_dir / "manifest.json").read_text())
    assert manifest["lexicon"]["heads"] == ["themes", "relevance", "dyad", "levels"]
    texts = ["china russia joint drill", "grain prices", "russia china patrol", "football"] * 4
    old = SinorusModel(model.body, model.heads, lexical=LexicalScorer(max_features=50, cv=2).fit(texts, [1, 0, 1, 0] * 4))
    old.save(copy_dir / "old")
    manifest = json.loads((copy_dir / "old" / "manifest.json").read_text())
    # the manifest of folders written before the lexical head served every head
    del manifest["lexicon"]["heads"], manifest["lexicon"]["blend"]
    manifest["lexicon"]["languages"] = ["en"]
    (copy_dir / "old" / "manifest.json").write_text(json.dumps(manifest))
    loaded = SinorusModel.load(copy_dir / "old")
    assert loaded.lexical_heads == ("relevance",) and loaded.lexical_blend == {"en": ("relevance",)}
    del manifest["lexicon"]["params"]["segment"]  # and before Chinese segmentation: read text as it was
    (copy_dir / "old" / "manifest.json").write_text(json.dumps(manifest))
    assert SinorusModel.load(copy_dir / "old").lexical.segment is False
