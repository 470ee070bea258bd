"""What the category model sees of a value: its app, its site and the words of its title.

Two scikit-learn ``TfidfVectorizer``\\ s side by side (sublinear TF, rows of length 1):

- *tokens*: the distinct lower-cased words of the title (two letters or more, no digits),
  ``app:<app>`` and ``site:<domain>``: what a person would call the value's words;
- *character n-grams* (``char_wb``, 3 to 5 letters) of the app name and the domain, so an app
  or site never seen in training still scores through its pieces (``code-insiders`` through
  ``code``, ``billing.example.org`` through ``billing``).

Character n-grams of whole titles were measured too (``tests/benchmarks/insights_bench.py``,
a year: 117,000 values): 33 s to vectorize on the 2-core CI machine against 2 s without, and
no better accuracy, because a title's words are already tokens. App and domain strings repeat
(a year has under 2,000 distinct pairs), so their n-grams are computed once per pair.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from timelygator.core.analytics.digest import BROWSER_APPS
from timelygator.core.categories.categorizer import domain_of

if TYPE_CHECKING:  # SciPy loads with the first model (0.3 s the app's start does not pay)
    import scipy.sparse as sp

APP = "app:"
SITE = "site:"
WORD = re.compile(r"[^\W\d_]{2,}")
# "Page | site.example - Firefox": the site a browser window's title names, when no URL does.
_TITLE_SITE = re.compile(r"(?:^|[|·—-]\s)((?:[a-z0-9-]+\.)+[a-z]{2,})(?:\s|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Fields:
    """The parts of a value the model and the rules look at."""

    app: str
    title: str
    url: str
    domain: str

    @property
    def browser(self) -> bool:
        return bool(self.app) and bool(BROWSER_APPS.search(self.app))


def fields_of(data: Mapping[str, Any]) -> Fields:
    app, title, url = data.get("app"), data.get("title"), data.get("url")
    url_s = url if isinstance(url, str) else ""
    return Fields(
        app if isinstance(app, str) else "",
        title if isinstance(title, str) else "",
        url_s,
        domain_of(url_s) if url_s else "",
    )


def fields_of_text(text: str) -> Fields:
    """The fields of a value's data text (JSON); empty fields for anything else."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return Fields("", "", "", "")
    return fields_of(data) if isinstance(data, dict) else Fields("", "", "", "")


def title_words(title: str) -> list[str]:
    """The distinct lower-cased words of a title, in order."""
    return list(dict.fromkeys(w.lower() for w in WORD.findall(title)))


def title_site(title: str) -> str:
    """The domain a browser window's title names ("… | github.com - Firefox"), or ""."""
    found = _TITLE_SITE.findall(title)
    return found[-1].lower() if found else ""


def tokens_of(fields: Fields) -> list[str]:
    out = title_words(fields.title)
    if fields.app:
        out.append(APP + fields.app.lower())
    if fields.domain:
        out.append(SITE + fields.domain)
    return out


def token_text(token: str) -> str:
    """What a token stands for: the word, app name or domain."""
    for prefix in (APP, SITE):
        if token.startswith(prefix):
            return token[len(prefix) :]
    return token


def _given(tokens: list[str]) -> list[str]:
    """The analyzer of already tokenized values."""
    return tokens


class Features:
    """The two vectorizers, fitted on the training values."""

    def __init__(self) -> None:
        # scikit-learn loads in a second or two: only when a model is trained, never at
        # import (the app's window, the API server and other commands start without it).
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.tokens = TfidfVectorizer(analyzer=_given, sublinear_tf=True, dtype=np.float32)
        self.grams = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, dtype=np.float32
        )  # an n-gram counts once two different names share it (one name: its own token)
        self.grams_fitted = False

    def fit_transform(self, values: Sequence[Fields]) -> sp.csr_matrix:
        import scipy.sparse as sp

        names, inverse = _names(values)
        words = self.tokens.fit_transform([tokens_of(v) for v in values])
        try:
            grams = self.grams.fit_transform(names)[inverse]
        except ValueError:  # no two names share an n-gram: words alone
            self.grams_fitted = False
            return sp.csr_matrix(words)
        self.grams_fitted = True
        return sp.hstack([words, grams], format="csr")

    def transform(self, values: Sequence[Fields]) -> sp.csr_matrix:
        import scipy.sparse as sp

        words = self.tokens.transform([tokens_of(v) for v in values])
        if not self.grams_fitted:
            return sp.csr_matrix(words)
        names, inverse = _names(values)
        grams = self.grams.transform(names)[inverse]
        return sp.hstack([words, grams], format="csr")

    def token_index(self) -> dict[str, int]:
        """Token -> its column (the first block of a transformed matrix)."""
        return {str(k): int(v) for k, v in self.tokens.vocabulary_.items()}


def _names(values: Sequence[Fields]) -> tuple[list[str], np.ndarray[Any, Any]]:
    """The distinct "app domain" strings and, for each value, which one it has."""
    texts = [f"{v.app} {v.domain}".lower() for v in values]
    unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    return [str(u) for u in unique], inverse
