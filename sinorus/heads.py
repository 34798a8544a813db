"""Heads: what sinorus learns on top of the embeddings.

:class:`CalibratedMultiLabel` is the scikit-learn estimator used for every
output: themes, relevance, dyad, indicator levels (as the ordinal targets
``level >= 1`` and ``level >= 2``) and evidence sentences. Its fitted state is
a handful of arrays, so it saves to ``.npz`` without pickles.
:class:`LexicalScorer` reads word and character n-grams; for English documents
its probabilities are averaged with the embedding heads'. Its vocabulary
saves as JSON.

This module also builds the features the heads read: a document is the
mean and the maximum of its chunk vectors plus a few counts of China and
Russia mentions found by multilingual lexicons.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "CalibratedMultiLabel",
    "ACTOR_PATTERNS",
    "actor_counts",
    "doc_features",
    "sentence_features",
    "N_ACTOR_FEATURES",
    "LexicalScorer",
    "segment_cjk",
]

# --------------------------------------------------------------------------- actor lexicons

ACTOR_PATTERNS: dict[str, re.Pattern[str]] = {
    "china": re.compile(
        r"\b(?:chin(?:a|ese)|beijing|prc|pla|people'?s liberation army|xi jinping|sino[- ])"
        r"|\bкита[йяюеи]\w*|\bкнр\b|\bпекин\w*|\bноак\b|\bсинопсис\b|\bси цзиньпин\w*"
        r"|中国|中方|中华人民共和国|北京|解放军|我军|中俄|俄中|习近平|华方"
        r"|\bchine\b|\bchinois\w*|\bpékin\b|\bchinesisch\w*|\bpeking\b|\bchin[oa]s?\b|\bpekín\b"
        r"|الصين|صيني|بكين",
        re.IGNORECASE,
    ),
    "russia": re.compile(
        r"\b(?:russia\w*|moscow|kremlin|putin|soviet)"
        r"|\bросси\w*|\bрф\b|\bмоскв\w*|\bкремл\w*|\bпутин\w*|\bвкс\b|\bсоветск\w*|\bссср\b"
        r"|俄罗斯|俄方|俄军|俄国|莫斯科|普京|中俄|俄中|苏联|克里姆林宫"
        r"|\brussie\b|\brusses?\b|\bmoscou\b|\brussland\w*|\brussisch\w*|\bmoskau\b"
        r"|\brusia\b|\brus[oa]s?\b|\bmoscú\b|روسيا|روسي|موسكو|الكرملين",
        re.IGNORECASE,
    ),
}
N_ACTOR_FEATURES = 5


def actor_counts(text: str) -> tuple[int, int]:
    """Mentions of China and of Russia in ``text`` (any supported language)."""
    return (len(ACTOR_PATTERNS["china"].findall(text)), len(ACTOR_PATTERNS["russia"].findall(text)))


def _actor_vector(texts: Sequence[str]) -> np.ndarray:
    """Per-document actor features from its chunk texts.

    log1p(China mentions), log1p(Russia mentions), both named, share of
    chunks naming China, share naming Russia.
    """
    counts = np.array([actor_counts(t) for t in texts], dtype=np.float64).reshape(-1, 2)
    total = counts.sum(axis=0)
    share = (counts > 0).mean(axis=0) if len(texts) else np.zeros(2)
    both = float(total[0] > 0 and total[1] > 0)
    return np.array([np.log1p(total[0]), np.log1p(total[1]), both, share[0], share[1]])


def doc_features(chunk_vectors: np.ndarray, chunk_texts: Sequence[str]) -> np.ndarray:
    """The feature vector of one document: [mean | max | actor features]."""
    if chunk_vectors.shape[0] == 0:
        dim = chunk_vectors.shape[1]
        return np.zeros(2 * dim + N_ACTOR_FEATURES)
    return np.concatenate(
        [chunk_vectors.mean(axis=0), chunk_vectors.max(axis=0), _actor_vector(chunk_texts)]
    )


def sentence_features(chunk_vectors: np.ndarray, chunk_texts: Sequence[str]) -> np.ndarray:
    """Per-chunk features for evidence scoring: [vector | names China | names Russia]."""
    flags = np.array([[c > 0 for c in actor_counts(t)] for t in chunk_texts], dtype=np.float64)
    return np.hstack([chunk_vectors, flags.reshape(-1, 2)])


# --------------------------------------------------------------------------- the estimator


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _best_f1_threshold(proba: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """Threshold on ``proba`` that maximises (weighted) F1 for labels ``y``, cut midway between scores."""
    w = np.ones(len(y)) if w is None else w
    order = np.argsort(-proba, kind="stable")
    p, t, ww = proba[order], y[order], w[order]
    tp = np.cumsum(t * ww)
    k = np.cumsum(ww)
    f1 = 2 * tp / (k + (t * ww).sum())
    # Only cut between distinct probabilities.
    valid = np.r_[p[1:] < p[:-1], True]
    f1 = np.where(valid, f1, -1)
    i = int(np.argmax(f1))
    lower = p[i + 1] if i + 1 < len(p) else 0.0
    return float((p[i] + lower) / 2)


def _out_of_fold_platt(
    make_lr: Callable[[], LogisticRegression], X, y: np.ndarray, *,  # type: ignore[no-untyped-def]
    cv: int, random_state: int, w: np.ndarray | None = None,
) -> tuple[LogisticRegression | None, tuple[float, float], np.ndarray | None]:
    """Fit one 0/1 output and Platt-calibrate it on out-of-fold decisions.

    Returns the final logistic regression (fitted on all rows), the Platt
    slope and offset, and the decisions the calibration saw. A constant
    column returns ``(None, (0, logit(rate)), None)``: it predicts its base rate.
    """
    pos = int(y.sum())
    if pos == 0 or pos == len(y):
        rate = pos / len(y)
        return None, (0.0, float(np.log(rate + 1e-6) - np.log(1 - rate + 1e-6))), None
    folds = min(cv, pos, len(y) - pos)
    decision = np.zeros(len(y))
    if folds >= 2:
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
        for tr, te in skf.split(X, y):
            fold_w = None if w is None else w[tr]
            decision[te] = make_lr().fit(X[tr], y[tr], sample_weight=fold_w).decision_function(X[te])
    final = make_lr().fit(X, y, sample_weight=w)
    if folds < 2:  # too few examples for held-out calibration: use the training fit
        decision = final.decision_function(X)
    platt = LogisticRegression(C=1e4, max_iter=1000).fit(decision.reshape(-1, 1), y, sample_weight=w)
    return final, (float(platt.coef_[0, 0]), float(platt.intercept_[0])), decision


class CalibratedMultiLabel(ClassifierMixin, BaseEstimator):
    """Multi-label logistic regression with Platt calibration and tuned thresholds.

    For each output column: standardised features, a class-balanced logistic
    regression, a sigmoid (Platt) calibration fitted on out-of-fold decision
    values, and the decision threshold that maximises F1 on those out-of-fold
    probabilities. No training row ever calibrates or tunes on its own score.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    class_weight : {"balanced", None}, default="balanced"
        Weighting of the logistic regressions.
    cv : int, default=5
        Out-of-fold splits for calibration and thresholds (fewer when a label
        has fewer positives).
    threshold : {"f1"} or float, default="f1"
        ``"f1"`` tunes each column's threshold; a float fixes it.
    max_iter : int, default=2000
        Iterations for the solver.
    random_state : int, default=0
        Seed for the fold split.
    n_jobs : int or None, default=None
        Output columns fitted in parallel (joblib); ``-1`` uses every core.

    Attributes
    ----------
    coef_ : ndarray of shape (n_outputs, n_features)
    intercept_ : ndarray of shape (n_outputs,)
    platt_ : ndarray of shape (n_outputs, 2)
        Slope and offset mapping decision values to probabilities.
    thresholds_ : ndarray of shape (n_outputs,)
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation learned in ``fit``.
    n_outputs_ : int
    classes_ : ndarray
        ``[0, 1]``, the values of every output.
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        class_weight: str | None = "balanced",
        cv: int = 5,
        threshold: str | float = "f1",
        max_iter: int = 2000,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.threshold = threshold
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ---- fitting

    def _check_params(self) -> None:
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ValueError(f"C must be a positive number, got {self.C!r}")
        if not (isinstance(self.cv, int) and self.cv >= 2):
            raise ValueError(f"cv must be an integer >= 2, got {self.cv!r}")
        if self.class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        if not (self.threshold == "f1" or isinstance(self.threshold, (int, float))):
            raise ValueError(f"threshold must be 'f1' or a number in (0, 1), got {self.threshold!r}")

    def _lr(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "CalibratedMultiLabel":
        """Fit every output column of ``y`` (shape ``(n,)`` or ``(n, n_outputs)``, values 0/1).

        ``sample_weight`` weighs rows in the logistic regressions, the
        calibration and the threshold search alike.
        """
        self._check_params()
        X, y = validate_data(self, X, y, multi_output=True, dtype=np.float64, y_numeric=True)
        w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (len(X),) or (w < 0).any():
            raise ValueError(f"sample_weight must be {len(X)} non-negative numbers, got shape {w.shape}")
        Y = np.asarray(y).reshape(len(X), -1)
        if not np.isin(Y, (0, 1)).all():
            bad = np.unique(Y[~np.isin(Y, (0, 1))])[:5]
            raise ValueError(f"y must hold only 0 and 1, found {bad.tolist()}")
        Y = Y.astype(int)
        self.single_output_ = np.asarray(y).ndim == 1
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ < 1e-12] = 1.0
        Z = (X - self.mean_) / self.scale_
        k = Y.shape[1]
        columns = Parallel(n_jobs=self.n_jobs)(delayed(self._fit_column)(Z, Y[:, j], w) for j in range(k))
        self.coef_ = np.vstack([c[0] for c in columns])
        self.intercept_ = np.array([c[1] for c in columns])
        self.platt_ = np.array([c[2] for c in columns])
        self.thresholds_ = np.array([c[3] for c in columns])
        self.n_outputs_ = k
        self.classes_ = np.array([0, 1])
        return self

    def _fit_column(
        self, Z: np.ndarray, y: np.ndarray, w: np.ndarray
    ) -> tuple[np.ndarray, float, tuple[float, float], float]:
        """One output: (coefficients, intercept, Platt slope and offset, threshold)."""
        final, (a, b), decision = _out_of_fold_platt(self._lr, Z, y, cv=self.cv, random_state=self.random_state, w=w)
        if final is None or decision is None:  # a constant column: a threshold that reproduces its base rate
            return np.zeros(Z.shape[1]), 0.0, (a, b), 0.5
        if self.threshold == "f1":
            threshold = _best_f1_threshold(_sigmoid(a * decision + b), y, w)
        else:
            threshold = float(self.threshold)
        return final.coef_[0], float(final.intercept_[0]), (a, b), threshold

    # ---- prediction

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Raw logistic scores, shape ``(n, n_outputs)``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return ((X - self.mean_) / self.scale_) @ self.coef_.T + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probability of 1 for each output, shape ``(n, n_outputs)``."""
        d = self.decision_function(X)
        return _sigmoid(self.platt_[:, 0] * d + self.platt_[:, 1])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """0/1 per output at the tuned thresholds; shape ``(n,)`` if fitted on a 1-D ``y``."""
        out = (self.predict_proba(X) >= self.thresholds_).astype(int)
        return out[:, 0] if getattr(self, "single_output_", False) else out

    # ---- safe persistence

    _STATE = ("coef_", "intercept_", "platt_", "thresholds_", "mean_", "scale_")

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Fitted state as plain numeric arrays named ``prefix/attr`` (for ``np.savez``)."""
        check_is_fitted(self)
        return {f"{prefix}/{a}": np.asarray(getattr(self, a), dtype=np.float64) for a in self._STATE}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, **params: object) -> "CalibratedMultiLabel":
        """Rebuild a fitted head from :meth:`to_arrays` output."""
        head = cls(**params)  # type: ignore[arg-type]
        for a in cls._STATE:
            setattr(head, a, np.asarray(arrays[f"{prefix}/{a}"], dtype=np.float64))
        head.n_outputs_ = head.coef_.shape[0]
        head.n_features_in_ = head.coef_.shape[1]
        head.classes_ = np.array([0, 1])
        head.single_output_ = False
        return head


# --------------------------------------------------------------------------- lexical head

_LEXICAL_STATE = ("coef_", "intercept_", "platt_", "word_idf_", "char_idf_")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def segment_cjk(text: str) -> str:
    """Put spaces between the words of every run of Chinese characters.

    Chinese is written without spaces, so a word tokenizer sees whole clauses
    as single tokens. rjieba (jieba's dictionary, bundled in the wheel) cuts the
    runs into words; text in other scripts is returned unchanged.

    Examples
    --------
    >>> segment_cjk("Joint Sea 2013: 中俄海军举行联合演习")
    'Joint Sea 2013:  中 俄海军 举行 联合演习 '
    """
    if not _CJK_RUN.search(text):
        return text
    import rjieba

    return _CJK_RUN.sub(lambda m: " " + " ".join(rjieba.cut(m.group(0))) + " ", text)



class LexicalScorer(ClassifierMixin, BaseEstimator):
    """TF-IDF word and character n-grams with a Platt-calibrated logistic regression per output.

    Short headlines often turn on one exact word; this head reads the words
    themselves and is averaged with the embedding heads where cross-validation
    showed the average beats both (English documents). Its vocabulary saves as
    plain JSON and its weights as numeric arrays; the weights are kept at
    float32 precision so a saved and reloaded head predicts exactly what the
    trained one did.

    Parameters
    ----------
    C : float, default=10.0
        Inverse regularisation strength.
    max_features : int, default=20000
        Largest vocabulary of each analyzer (word 1-2-grams, char 2-4-grams).
    cv : int, default=5
        Out-of-fold splits for the calibration.
    random_state : int, default=0
        Seed for the fold split.
    n_jobs : int or None, default=None
        Outputs fitted in parallel (joblib semantics).
    segment : bool, default=True
        Cut Chinese text into words (:func:`segment_cjk`) before counting
        n-grams. Grouped cross-validation on the corpus raised Chinese
        macro-F1 of the blended heads from 0.844 to 0.880 and relevance F1 from
        0.909 to 0.935, other languages unchanged.
    """

    def __init__(self, C: float = 10.0, *, max_features: int = 20000, cv: int = 5, random_state: int = 0,
                 n_jobs: int | None = None, segment: bool = True) -> None:
        self.C = C
        self.max_features = max_features
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.segment = segment

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        return [segment_cjk(t) for t in texts] if self.segment else list(texts)

    def _vectorizers(self, word_vocab: list[str] | None = None, char_vocab: list[str] | None = None) -> tuple:
        from sklearn.feature_extraction.text import TfidfVectorizer

        def terms(vocab: list[str] | None) -> dict:  # learn a vocabulary, or reuse a saved one
            if vocab is None:
                return {"min_df": 2, "max_features": self.max_features}
            return {"vocabulary": {t: i for i, t in enumerate(vocab)}}

        common = {"sublinear_tf": True, "dtype": np.float64}
        word = TfidfVectorizer(ngram_range=(1, 2), **terms(word_vocab), **common)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), **terms(char_vocab), **common)
        return word, char

    def _matrix(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        from scipy.sparse import hstack

        texts = self._prepare(texts)
        return hstack([self.word_.transform(texts), self.char_.transform(texts)]).tocsr()

    def fit(self, texts: Sequence[str], y: np.ndarray) -> "LexicalScorer":
        """Fit on raw ``texts`` and 0/1 targets ``y`` (shape ``(n,)`` or ``(n, n_outputs)``)."""
        from scipy.sparse import hstack

        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise ValueError(f"C must be a positive number, got {self.C!r}")
        Y = np.asarray(y).reshape(len(texts), -1).astype(int)
        texts = self._prepare(texts)
        self.word_, self.char_ = self._vectorizers()
        X = hstack([self.word_.fit_transform(texts), self.char_.fit_transform(texts)]).tocsr()
        columns = Parallel(n_jobs=self.n_jobs)(delayed(self._fit_column)(X, Y[:, j]) for j in range(Y.shape[1]))
        self.coef_ = np.vstack([c[0] for c in columns]).astype(np.float32).astype(np.float64)
        self.intercept_ = np.array([c[1] for c in columns])
        self.platt_ = np.array([c[2] for c in columns])
        self.word_idf_ = self.word_.idf_
        self.char_idf_ = self.char_.idf_
        self.n_outputs_ = Y.shape[1]
        return self

    def _fit_column(self, X, y: np.ndarray) -> tuple[np.ndarray, float, tuple[float, float]]:  # type: ignore[no-untyped-def]
        """One output: (coefficients, intercept, Platt slope and offset)."""
        final, platt, _ = _out_of_fold_platt(
            lambda: LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000), X, y,
            cv=self.cv, random_state=self.random_state)
        if final is None:  # a constant column predicts its base rate
            return np.zeros(X.shape[1]), 0.0, platt
        return final.coef_[0], float(final.intercept_[0]), platt

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of 1 for each output, shape ``(n, n_outputs)``."""
        check_is_fitted(self)
        d = self._matrix(list(texts)) @ self.coef_.T + self.intercept_
        return _sigmoid(self.platt_[:, 0] * d + self.platt_[:, 1])

    def vocabulary(self) -> dict[str, list[str]]:
        """The two vocabularies as term lists in column order (for JSON)."""
        check_is_fitted(self)
        out = {}
        for name, vec in (("word", self.word_), ("char", self.char_)):
            terms = [""] * len(vec.vocabulary_)
            for term, i in vec.vocabulary_.items():
                terms[i] = term
            out[name] = terms
        return out

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        check_is_fitted(self)
        out = {f"{prefix}/{a}": np.asarray(getattr(self, a), dtype=np.float64) for a in _LEXICAL_STATE}
        out[f"{prefix}/coef_"] = out[f"{prefix}/coef_"].astype(np.float32)
        return out

    @classmethod
    def from_parts(cls, arrays: dict[str, np.ndarray], vocabulary: dict[str, list[str]], prefix: str,
                   **params: object) -> "LexicalScorer":
        """Rebuild a fitted head from :meth:`to_arrays` and :meth:`vocabulary` output."""
        head = cls(**params)  # type: ignore[arg-type]
        for a in _LEXICAL_STATE:
            setattr(head, a, np.asarray(arrays[f"{prefix}/{a}"], dtype=np.float64))
        head.word_, head.char_ = head._vectorizers(list(vocabulary["word"]), list(vocabulary["char"]))
        if len(head.word_idf_) != len(vocabulary["word"]) or len(head.char_idf_) != len(vocabulary["char"]):
            raise ValueError("lexical vocabulary and weights disagree in size")
        head.word_.idf_ = head.word_idf_
        head.char_.idf_ = head.char_idf_
        head.n_outputs_ = head.coef_.shape[0]
        return head
