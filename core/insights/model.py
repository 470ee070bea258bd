"""The category model: which category a value's app, site and title words point to.

A linear model (scikit-learn's ``SGDClassifier`` with the logistic loss, one-vs-rest) over the
TF-IDF features of ``core.insights.features``, trained on the user's own
categorized values, each weighted by ``1 + log(1 + minutes)`` so that what fills the days
counts more than a title seen for a second, without one long value drowning the rest.

At most ``MAX_TRAIN`` values are trained on: a weighted sample without replacement (heavier
values more likely). On the benchmark's year (``tests/benchmarks/insights_bench.py``) 20,000
values trained in about a second with the accuracy of 40,000 within two points; a full
``LogisticRegression`` (L-BFGS) on 82,000 values took 95 s for no better figures.

Before the model in use is trained on every categorized value, a copy is trained on a random
70% and checked on the other 30% (``Validation``): the share it gets right where it does not
abstain, the macro-F1 there, and how often it abstains, at the threshold in use. The review
panel shows that figure; the benchmark uses the same method.

The model lives in memory only; it is never written to a file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from timelygator.core.insights.features import Features, Fields

if TYPE_CHECKING:  # loaded with the first model, not with the app
    import scipy.sparse as sp
    from sklearn.linear_model import SGDClassifier

Path = tuple[str, ...]
_DIGITS = re.compile(r"\d+")
Array = np.ndarray[Any, Any]

DEFAULT_THRESHOLD = 0.8  # suggest only at 80% confidence or more (else abstain)
HOLDOUT = 0.3  # share of categorized values the validation hides
MAX_TRAIN = 20_000
SEED = 20  # the held-out values are the same from one training to the next
MIN_VALIDATION = 30  # fewer categorized values than this: no figure


@dataclass(frozen=True, slots=True)
class Validation:
    """How the model did on categorized values it was not trained on."""

    checked: int  # held-out values
    covered: int  # of which it did not abstain on
    correct: int  # of which it got right
    macro_f1: float | None  # over the covered values, categories weighing alike
    threshold: float

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.covered if self.covered else None

    @property
    def coverage(self) -> float | None:
        return self.covered / self.checked if self.checked else None

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "covered": self.covered,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "coverage": self.coverage,
            "macro_f1": self.macro_f1,
            "threshold": self.threshold,
        }


def sample_weights(time_us: Array) -> Array:
    """``1 + log(1 + minutes)``: time counts, a long value does not drown the rest."""
    return 1.0 + np.log1p(np.asarray(time_us, dtype=np.float64) / 60e6)


def weighted_sample(weights: Array, size: int, seed: int = SEED) -> Array:
    """``size`` indices drawn without replacement, each as likely as its weight (all when
    there are no more than ``size``); in ascending order."""
    if len(weights) <= size:
        return np.arange(len(weights))
    keys = np.random.default_rng(seed).random(len(weights)) ** (1.0 / weights)
    return np.sort(np.argpartition(-keys, size)[:size])


class CategoryModel:
    """A trained model: probabilities per category for values, and the evidence."""

    def __init__(
        self,
        features: Features,
        classifier: SGDClassifier,
        classes: list[Path],
        token_counts: sp.csr_matrix,
        validation: Validation | None,
        trained_values: int,
    ) -> None:
        self.features = features
        self.classifier = classifier
        self.classes = classes
        self.class_index = {path: i for i, path in enumerate(classes)}
        self.token_index = features.token_index()
        self.token_counts = token_counts  # tokens x classes: training values holding each
        self.validation = validation
        self.trained_values = trained_values

    def probabilities(self, values: Sequence[Fields]) -> Array:
        """Values x classes: for each class, its own one-vs-rest model's probability that
        the value belongs to it."""
        if not values:
            return np.zeros((0, len(self.classes)), dtype=np.float64)
        # Values that differ only in numbers ("Invoice 2291", "Invoice 2292") look the same
        # to the model: each distinct look is vectorized and scored once.
        index: dict[tuple[str, str, str], int] = {}
        inverse = np.fromiter(
            (index.setdefault(look(v), len(index)) for v in values), np.int64, len(values)
        )
        first = np.zeros(len(index), dtype=np.int64)
        first[inverse[::-1]] = np.arange(len(values) - 1, -1, -1)
        distinct = [values[i] for i in first.tolist()]
        return membership(self.classifier, self.features.transform(distinct))[inverse]

    def counts(self, token: str) -> Array | None:
        """Training values holding ``token``, per class (None for a token never seen)."""
        at = self.token_index.get(token)
        return None if at is None else self.token_counts[at].toarray().ravel()

    def weight(self, token: str, category: int) -> float:
        """How much ``token`` pushes a value toward ``category`` (0 for unseen tokens)."""
        at = self.token_index.get(token)
        if at is None:
            return 0.0
        coef = self.classifier.coef_
        if coef.shape[0] == 1:  # two classes: one column, for the second
            return float(coef[0, at]) * (1.0 if category == 1 else -1.0)
        return float(coef[category, at])


def look(value: Fields) -> tuple[str, str, str]:
    """What the model sees of a value, as a key: its title without digits, app and domain."""
    return (_DIGITS.sub("", value.title).lower(), value.app.lower(), value.domain)


def membership(classifier: SGDClassifier, x: sp.csr_matrix) -> Array:
    """Each class's one-vs-rest probability, *not* normalized over the classes.

    Normalizing (``predict_proba``) would turn "no class fits" into confidence: a value
    with words no class has seen gets low probabilities from every class's model, and
    their normalized shares could still be 0.9 for the least unlikely one. Unnormalized,
    such a value stays below the threshold and the model abstains.
    """
    scores = np.asarray(classifier.decision_function(x), dtype=np.float64)
    if scores.ndim == 1:  # two classes: one model, for the second
        scores = np.column_stack((-scores, scores))
    return 1.0 / (1.0 + np.exp(-np.clip(scores, -50, 50)))


def _fit(x: sp.csr_matrix, y: Array, weights: Array) -> SGDClassifier:
    from sklearn.linear_model import SGDClassifier

    classifier = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=6, tol=None, random_state=SEED)
    classifier.fit(x, y, sample_weight=weights)
    return classifier


def validate(truth: Array, probabilities: Array, threshold: float) -> Validation:
    """Accuracy, macro-F1 and coverage of predictions at ``threshold``."""
    from sklearn.metrics import f1_score

    predicted = probabilities.argmax(axis=1)
    covered = probabilities.max(axis=1) >= threshold
    n = int(covered.sum())
    return Validation(
        checked=len(truth),
        covered=n,
        correct=int(np.count_nonzero(predicted[covered] == truth[covered])),
        macro_f1=float(f1_score(truth[covered], predicted[covered], average="macro"))
        if n
        else None,
        threshold=threshold,
    )


def accuracy(truth: Array, predicted: Array) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(truth, predicted))


def train_model(
    values: Sequence[Fields],
    paths: Sequence[Path],
    time_us: Array,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    holdout: float = HOLDOUT,
    max_train: int = MAX_TRAIN,
) -> CategoryModel | None:
    """The model of ``values`` labelled with ``paths`` (None with fewer than two
    categories: nothing to choose between)."""
    classes = sorted(set(paths))
    if len(classes) < 2 or not values:
        return None
    # In one order whatever order the values were read in (a set's order changes from one
    # run to the next): the same values give the same model.
    order = sorted(
        range(len(values)), key=lambda i: (values[i].title, values[i].app, values[i].url)
    )
    values = [values[i] for i in order]
    paths = [paths[i] for i in order]
    time_us = np.asarray(time_us)[order]
    index = {path: i for i, path in enumerate(classes)}
    y = np.fromiter((index[p] for p in paths), np.int64, len(paths))
    weights = sample_weights(time_us)
    validation: Validation | None = None
    if holdout > 0 and len(values) >= MIN_VALIDATION:
        from sklearn.model_selection import train_test_split

        seen, hidden = train_test_split(
            np.arange(len(values)), test_size=holdout, random_state=SEED
        )
        seen = seen[weighted_sample(weights[seen], max_train)]
        if len(np.unique(y[seen])) >= 2:
            features = Features()
            x_seen = features.fit_transform([values[i] for i in seen.tolist()])
            check = _fit(x_seen, y[seen], weights[seen])
            probabilities = np.zeros((len(hidden), len(classes)))
            probabilities[:, check.classes_] = membership(
                check, features.transform([values[i] for i in hidden.tolist()])
            )
            validation = validate(y[hidden], probabilities, threshold)
    rows = weighted_sample(weights, max_train)
    features = Features()
    x = features.fit_transform([values[i] for i in rows.tolist()])
    trained_y = y[rows]
    if len(np.unique(trained_y)) < 2:
        return None
    classifier = _fit(x, trained_y, weights[rows])
    # Classes the sample missed get no column from the classifier: keep only those it has.
    kept = [classes[int(c)] for c in classifier.classes_]
    remap = {int(c): i for i, c in enumerate(classifier.classes_)}
    words = x[:, : len(features.tokens.vocabulary_)].copy()
    words.data[:] = 1.0
    import scipy.sparse as sp

    onehot = sp.csr_matrix(
        (
            np.ones(len(trained_y), dtype=np.float32),
            (np.arange(len(trained_y)), [remap[int(c)] for c in trained_y.tolist()]),
        ),
        shape=(len(trained_y), len(kept)),
    )
    counts = (words.T @ onehot).tocsr()
    return CategoryModel(features, classifier, kept, counts, validation, len(rows))
