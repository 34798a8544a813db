import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sinorus.heads import CalibratedMultiLabel, actor_counts, doc_features


@pytest.fixture()
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8))
    Y = np.c_[X[:, 0] > 0.3, X[:, 1] - X[:, 2] > 1.0, np.zeros(300)].astype(int)
    return X, Y


def test_fit_returns_self_and_learns(xy):
    X, Y = xy
    h = CalibratedMultiLabel()
    assert h.fit(X, Y) is h
    P = h.predict_proba(X)
    assert P.shape == (300, 3) and ((P >= 0) & (P <= 1)).all()
    assert (h.predict(X)[:, :2] == Y[:, :2]).mean() > 0.9
    assert (h.predict(X)[:, 2] == 0).all()  # constant column stays constant


def test_calibration_is_reasonable(xy):
    X, Y = xy
    h = CalibratedMultiLabel().fit(X[:200], Y[:200, 0])
    p = h.predict_proba(X[200:])[:, 0]
    assert abs(p.mean() - Y[200:, 0].mean()) < 0.1


def test_single_output_predicts_1d(xy):
    X, Y = xy
    assert CalibratedMultiLabel().fit(X, Y[:, 0]).predict(X).shape == (300,)


def test_sklearn_contract(xy):
    X, Y = xy
    h = CalibratedMultiLabel(0.5, cv=3)
    c = clone(h)
    assert c.get_params() == h.get_params() and not hasattr(c, "coef_")
    pipe = make_pipeline(StandardScaler(), CalibratedMultiLabel(cv=3)).fit(X, Y[:, 0])
    assert pipe.score(X, Y[:, 0]) > 0.9
    with pytest.raises(NotFittedError):
        CalibratedMultiLabel().predict(X)


@pytest.mark.parametrize("params, match", [
    ({"C": 0}, "C must be a positive number, got 0"),
    ({"cv": 1}, "cv must be an integer >= 2, got 1"),
    ({"class_weight": "x"}, "class_weight must be"),
])
def test_bad_params_are_named(xy, params, match):
    X, Y = xy
    with pytest.raises(ValueError, match=match):
        CalibratedMultiLabel(**params).fit(X, Y)


def test_non_binary_targets_rejected(xy):
    X, _ = xy
    with pytest.raises(ValueError, match="only 0 and 1"):
        CalibratedMultiLabel().fit(X, np.arange(300) % 3)


def test_arrays_round_trip(xy):
    X, Y = xy
    h = CalibratedMultiLabel(cv=3).fit(X, Y)
    arrays = h.to_arrays("t")
    assert all(a.dtype == np.float64 for a in arrays.values())
    g = CalibratedMultiLabel.from_arrays(arrays, "t", cv=3)
    np.testing.assert_allclose(g.predict_proba(X), h.predict_proba(X))


@pytest.mark.parametrize("text, want", [
    ("China and Russia held drills; Beijing and Moscow agreed.", (2, 2)),
    ("КНР и Россия провели учения, Пекин доволен, Москва тоже.", (2, 2)),
    ("中俄两国举行联合演习，俄罗斯国防部表示", (1, 2)),
    ("La Chine et la Russie ont signé.", (1, 1)),
    ("India bought jets from France.", (0, 0)),
])
def test_actor_counts(text, want):
    assert actor_counts(text) == want


def test_doc_features_shape():
    v = np.ones((3, 4))
    assert doc_features(v, ["China", "x", "y"]).shape == (13,)
    assert doc_features(np.zeros((0, 4)), []).shape == (13,)


def test_lexical_scorer_learns_words_and_round_trips():
    from sinorus.heads import LexicalScorer

    texts = ["china russia joint drills", "russia china naval exercise", "grain prices fell", "football final",
             "china russia bombers patrol", "gas pipeline trade"] * 5
    y = np.array([1, 1, 0, 0, 1, 0] * 5)
    h = LexicalScorer(max_features=500, cv=3).fit(texts, y)
    p = h.predict_proba(["china russia naval drills", "grain trade fell"])[:, 0]
    assert p[0] > 0.5 > p[1]
    g = LexicalScorer.from_parts(h.to_arrays("x"), h.vocabulary(), "x", max_features=500, cv=3)
    np.testing.assert_allclose(g.predict_proba(texts), h.predict_proba(texts))


def test_segment_cjk_cuts_chinese_runs_into_words_and_leaves_other_scripts():
    from sinorus.heads import segment_cjk

    assert segment_cjk("Russia and China held drills.") == "Russia and China held drills."
    assert segment_cjk("Учения «Морское взаимодействие»") == "Учения «Морское взаимодействие»"
    words = segment_cjk("Joint Sea: 中俄海军举行联合演习").split()
    assert words[:2] == ["Joint", "Sea:"] and "举行" in words and "".join(words[2:]) == "中俄海军举行联合演习"


def test_lexical_scorer_counts_chinese_words_only_when_segmenting():
    from sinorus.heads import LexicalScorer

    texts = ["中俄海军举行联合演习。", "俄方向中方交付战斗机。", "今年粮食价格下降。", "足球决赛今晚举行。"] * 4
    y = np.array([1, 1, 0, 0] * 4)
    seg = LexicalScorer(max_features=500, cv=2).fit(texts, y)
    raw = LexicalScorer(max_features=500, cv=2, segment=False).fit(texts, y)
    assert "举行" in seg.vocabulary()["word"]
    assert "举行" not in raw.vocabulary()["word"]  # unsegmented, a whole clause is one token
    g = LexicalScorer.from_parts(seg.to_arrays("x"), seg.vocabulary(), "x", max_features=500, cv=2)
    np.testing.assert_allclose(g.predict_proba(texts), seg.predict_proba(texts))
