from types import SimpleNamespace

import numpy as np
import pytest

from sinorus.errors import DataError
from sinorus.evaluation import bootstrap_intervals, evaluate_records, expected_calibration_error, format_report
from sinorus.records import INDICATORS, THEMES, ErrorInfo, IndicatorResult, Record


def _example(i, themes, relevant, lang="en", levels=(0, 0, 0, 0)):
    return SimpleNamespace(id=f"d{i}", title=f"doc {i}", text="", lang=lang, themes=tuple(themes),
                           relevant=relevant, dyad=(1, 1) if relevant else (0, 0), levels=tuple(levels))


def _record(i, themes, relevant, lang="en", levels=(0, 0, 0, 0)):
    return Record(id=f"d{i}", lang=lang, themes={t: float(v) for t, v in zip(THEMES, themes)},
                  labels=tuple(t for t, v in zip(THEMES, themes) if v), relevance=float(relevant),
                  relevant=bool(relevant), dyad=("china", "russia") if relevant else (),
                  indicators={ind: IndicatorResult(lv, lv / 2) for ind, lv in zip(INDICATORS, levels)})


def test_expected_calibration_error():
    assert expected_calibration_error(np.array([0.0, 1.0]), np.array([0, 1])) == 0.0
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([0, 0])) == pytest.approx(0.9)


def test_perfect_records_score_one_and_errors_count_as_misses():
    gold = [((1, 0, 0, 0), 1), ((0, 1, 0, 0), 1), ((0, 0, 1, 1), 1), ((0, 0, 0, 0), 0)] * 3
    ex = [_example(i, t, r, levels=(2 * r, r, 0, r)) for i, (t, r) in enumerate(gold)]
    recs = [_record(i, t, r, levels=(2 * r, r, 0, r)) for i, (t, r) in enumerate(gold)]
    m = evaluate_records(recs, ex)
    assert m["macro_f1"] == 1.0 and m["relevance"]["f1"] == 1.0 and m["dyad_accuracy"] == 1.0
    assert m["macro_f1_ci95"] == [1.0, 1.0] and m["by_language"]["en"]["relevance_f1_ci95"] == [1.0, 1.0]
    recs[0] = Record(id="d0", lang="en", error=ErrorInfo("DocumentError", "unreadable"))
    m = evaluate_records(recs, ex)
    assert m["errors"] == 1 and m["themes"]["procurement"]["recall"] == pytest.approx(2 / 3)
    assert "by language" in format_report("t", m)
    with pytest.raises(DataError, match="3 records for 12 examples"):
        evaluate_records(recs[:3], ex)


def test_bootstrap_intervals_bracket_the_estimate_and_narrow_with_more_documents():
    rng = np.random.default_rng(1)

    def draw(n):
        Y = rng.integers(0, 2, size=(n, 4))
        L = np.where(rng.random((n, 4)) < 0.8, Y, 1 - Y)  # 80% of labels right
        r = rng.integers(0, 2, size=n)
        return Y, L, r, np.where(rng.random(n) < 0.85, r, 1 - r)

    small, large = bootstrap_intervals(*draw(30)), bootstrap_intervals(*draw(600))
    for ci in (small, large):
        assert 0.0 <= ci["macro_f1"][0] < ci["macro_f1"][1] <= 1.0
    assert np.diff(large["macro_f1"])[0] < np.diff(small["macro_f1"])[0]
    assert np.diff(large["relevance_f1"])[0] < np.diff(small["relevance_f1"])[0]
    assert large["macro_f1"][0] < 0.8 < large["macro_f1"][1]  # the true F1 of 80%-right labels
    Y, L, r, rh = draw(40)
    assert bootstrap_intervals(Y, L, r, rh) == bootstrap_intervals(Y, L, r, rh)  # seeded
