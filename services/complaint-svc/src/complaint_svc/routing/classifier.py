"""The routing classifier: jieba word segmentation plus character n-grams, TF-IDF, logistic regression.

Two heads share the features: the category (the Open311 service) and the type of the responsible
department. Trained at start-up from the labelled set kept beside this module (`data/labelled.tsv`),
which is also what the reported routing accuracy is measured on (stratified cross-validation).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jieba
import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from complaint_svc import categories

LABELLED = Path(__file__).parent / "data" / "labelled.tsv"
_lock = threading.Lock()
_log = logging.getLogger("complaint_svc.routing")


@dataclass(frozen=True)
class Example:
    category: str
    department_type: str
    text: str


@dataclass(frozen=True)
class Proposal:
    """What the classifier proposes for a text, with the probability of each choice."""

    category: str
    category_p: float
    department_type: str
    department_p: float


def load_examples(path: Path = LABELLED) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in categories.BY_CODE:
            raise ValueError(f"{path.name} line {number}: expected category<TAB>department type<TAB>text")
        examples.append(Example(parts[0], parts[1], parts[2].strip()))
    return examples


_jieba_ready = False


def _init_jieba() -> None:
    global _jieba_ready
    with _lock:
        if _jieba_ready:
            return
        jieba.setLogLevel(logging.WARNING)
        for category in categories.CATEGORIES:
            for word in category.keywords:
                jieba.add_word(word)
        jieba.initialize()
        _jieba_ready = True


def segment(text: str) -> list[str]:
    """Words of a Chinese text (jieba, precise mode), punctuation and spaces dropped."""
    return [w for w in jieba.lcut(text) if w.strip() and (len(w) > 1 or "\u3400" <= w <= "\u9fff" or w.isalnum())]


_SPACES = re.compile(r"\s+")
DEPARTMENT_HEAD_OVERRIDE = 0.5  # the department head overrides the category's default department above this
WORD_WEIGHT = 0.3  # jieba words beside character uni- and bigrams (the bigrams carry most on short texts)


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """Word tokens (jieba) and character 1-2-grams of a lower-cased, space-collapsed text."""
    text = _SPACES.sub(" ", text.lower()).strip()
    chars = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
    return segment(text), chars


class _Block:
    """TF-IDF of one token kind: vocabulary, smoothed idf, sublinear tf, l2-normalised, weighted."""

    def __init__(self, documents: list[list[str]], weight: float) -> None:
        df: Counter[str] = Counter()
        for tokens in documents:
            df.update(set(tokens))
        self.vocabulary = {token: i for i, token in enumerate(sorted(df))}
        n = len(documents)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in sorted(df)])
        self.weight = weight

    def row(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(i for t in tokens if (i := self.vocabulary.get(t)) is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self.idf[index]
        return index, values * (self.weight / float(np.linalg.norm(values)))


class _Features:
    def __init__(self, texts: list[str]) -> None:
        tokens = [_tokens(t) for t in texts]
        self.words = _Block([w for w, _ in tokens], WORD_WEIGHT)
        self.chars = _Block([c for _, c in tokens], 1.0)
        self.width = len(self.words.vocabulary) + len(self.chars.vocabulary)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        words, chars = _tokens(text)
        wi, wv = self.words.row(words)
        ci, cv = self.chars.row(chars)
        return np.concatenate([wi, ci + len(self.words.vocabulary)]), np.concatenate([wv, cv])

    def matrix(self, texts: list[str]) -> sparse.csr_matrix:
        rows = [self.row(t) for t in texts]
        indptr = np.cumsum([0] + [len(i) for i, _ in rows])
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), self.width))


class _Head:
    """Multinomial logistic regression; predicting is a sparse dot product and a softmax."""

    def __init__(self, x: sparse.csr_matrix, labels: list[str], balanced: bool = False) -> None:
        model = LogisticRegression(C=10.0, max_iter=500, class_weight="balanced" if balanced else None).fit(x, labels)
        self.classes = [str(c) for c in model.classes_]
        coef = model.coef_ if len(self.classes) > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
        intercept = model.intercept_ if len(self.classes) > 2 else np.array([-model.intercept_[0], model.intercept_[0]])
        self.coef = np.ascontiguousarray(coef.T)  # features x classes
        self.intercept = intercept

    def proba(self, index: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = values @ self.coef[index] + self.intercept
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()


class TextClassifier:
    """Category and department-type heads over shared features (jieba words and character n-grams)."""

    def __init__(self, examples: list[Example]) -> None:
        _init_jieba()
        self.examples = len(examples)
        self.features = _Features([e.text for e in examples])
        x = self.features.matrix([e.text for e in examples])
        self.category_head = _Head(x, [e.category for e in examples])
        self.department_head = _Head(x, [e.department_type for e in examples], balanced=True)
        # The category's default department type, as a distribution over the department head's classes.
        self._category_department = np.zeros((len(self.category_head.classes), len(self.department_head.classes)))
        for ci, code in enumerate(self.category_head.classes):
            default = categories.BY_CODE[code].department_type
            if default in self.department_head.classes:
                self._category_department[ci, self.department_head.classes.index(default)] = 1.0

    def predict(self, text: str) -> Proposal:
        index, values = self.features.row(text)
        cat_p = self.category_head.proba(index, values)
        ci = int(np.argmax(cat_p))
        # Department: the default of the proposed category, unless the department head is sure of another.
        head_p = self.department_head.proba(index, values)
        hi = int(np.argmax(head_p))
        mapped = self._category_department[ci]
        if mapped.any() and not (head_p[hi] >= DEPARTMENT_HEAD_OVERRIDE and not mapped[hi]):
            di = int(np.argmax(mapped))
            dep_p = float(cat_p @ self._category_department[:, di])
        else:
            di, dep_p = hi, float(head_p[hi])
        return Proposal(
            category=self.category_head.classes[ci],
            category_p=round(float(cat_p[ci]), 4),
            department_type=self.department_head.classes[di],
            department_p=round(dep_p, 4),
        )


def keyword_category(text: str) -> str:
    """The rule baseline: the first category one of whose keywords the text contains, else `other`."""
    for category in categories.CATEGORIES:
        if any(word in text for word in category.keywords):
            return category.code
    return categories.OTHER.code


def evaluate(examples: list[Example] | None = None, folds: int = 5, seed: int = 7) -> dict[str, Any]:
    """Routing accuracy by stratified k-fold cross-validation, with the keyword-rule and majority baselines."""
    examples = examples or load_examples()
    labels = [e.category for e in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    hits_cat = hits_dep = hits_both = 0
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        model = TextClassifier([examples[i] for i in train])
        for i in test:
            p = model.predict(examples[i].text)
            hits_cat += p.category == examples[i].category
            hits_dep += p.department_type == examples[i].department_type
            hits_both += p.category == examples[i].category and p.department_type == examples[i].department_type
    n = len(examples)
    rule_cat = sum(keyword_category(e.text) == e.category for e in examples)
    rule_dep = sum(
        (categories.BY_CODE[keyword_category(e.text)].department_type or "") == e.department_type for e in examples
    )
    majority = Counter(labels).most_common(1)[0][1]
    return {
        "examples": n,
        "folds": folds,
        "category_accuracy": round(hits_cat / n, 4),
        "department_accuracy": round(hits_dep / n, 4),
        "routing_accuracy": round(hits_both / n, 4),
        "keyword_rule_category_accuracy": round(rule_cat / n, 4),
        "keyword_rule_department_accuracy": round(rule_dep / n, 4),
        "majority_category_accuracy": round(majority / n, 4),
    }


@lru_cache(maxsize=1)
def default_classifier() -> TextClassifier:
    """The classifier trained on the whole labelled set (once per process)."""
    model = TextClassifier(load_examples())
    _log.info("routing classifier trained", extra={"examples": model.examples})
    return model


@lru_cache(maxsize=1)
def default_evaluation() -> dict[str, Any]:
    return evaluate()
