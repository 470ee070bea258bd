#!/usr/bin/env python3
"""Insights: how good the category suggestions are, and how fast, on a year of data.

Data: the year ``gui_bench.py`` caches (``tests/benchmarks/dataset.py``: ~4.7M events,
~117,000 distinct values), copied to a temporary folder (the analytics write their rows).

Quality, with a known labelling: ``dataset.py``'s apps and sites are named from a word list,
so every value gets a true category from its words (``truth`` below: an app's or a site's
first themed word, else its title's; a few real apps and sites by hand). The labels of a
random 30% of the values are hidden; the model is trained on the other 70% exactly as the app
trains it (``core.insights.model.train_model``: at most 20,000 values, weighted by
time) and asked about the hidden ones. Printed, for the hidden values: accuracy and macro-F1
where it does not abstain, and coverage (the share it does not abstain on) at the default
threshold; and the same for two baselines answering every value: the most frequent category,
and the app name alone (the category most of the app's training values have).

Speed and memory, the app's own path on the same year (``engine.train`` with the default
categories: reading the year's values and training, no GUI): training time, suggestions for
the busiest day (median of 5), peak memory added by training.

  python tests/benchmarks/insights_bench.py [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.gui_bench import PASSPHRASE, build_dataset  # noqa: E402

YEAR_FIRST, YEAR_LAST = date(2024, 1, 1), date(2024, 12, 31)

THEMES = {
    ("Work", "Programming"): "issue fix feature test build deploy server client api query "
    "data model",
    ("Work", "Docs"): "report draft final docs guide notes slides summary chart analysis",
    ("Work", "Planning"): "design review sprint backlog plan roadmap release project team "
    "meeting proposal",
    ("Finance",): "budget invoice contract quarterly monthly weekly daily",
    ("Learning",): "tutorial paper thesis lecture course exam homework",
    ("Media",): "video music movie series podcast photo news football",
    ("Personal",): "recipe travel garden kitchen chat",
}
THEME_OF = {word: path for path, words in THEMES.items() for word in words.split()}
KNOWN: dict[str, tuple[str, ...] | None] = {
    "code": ("Work", "Programming"), "jetbrains-pycharm": ("Work", "Programming"),
    "gnome-terminal-server": None, "kitty": None, "Slack": ("Communication",),
    "thunderbird": ("Communication",), "libreoffice-writer": ("Work", "Docs"),
    "libreoffice-calc": ("Finance",), "zoom": ("Work", "Planning"), "obsidian": ("Work", "Docs"),
    "evince": ("Learning",), "nautilus": None, "dbeaver": ("Work", "Programming"),
    "postman": ("Work", "Programming"), "figma-linux": ("Work", "Planning"),
    "Signal": ("Communication",), "discord": ("Communication",), "spotify": ("Media",),
    "vlc": ("Media",), "steam": ("Media",),
    "github.com": ("Work", "Programming"), "stackoverflow.com": ("Work", "Programming"),
    "docs.python.org": ("Learning",), "mail.google.com": ("Communication",),
    "docs.google.com": ("Work", "Docs"), "youtube.com": ("Media",), "reddit.com": ("Media",),
    "news.ycombinator.com": ("Media",), "en.wikipedia.org": ("Learning",),
    "twitter.com": ("Media",), "linkedin.com": ("Communication",), "netflix.com": ("Media",),
    "jira.atlassian.net": ("Work", "Planning"), "calendar.google.com": ("Work", "Planning"),
    "meet.google.com": ("Work", "Planning"), "amazon.com": ("Personal",),
    "spiegel.de": ("Media",), "bbc.co.uk": ("Media",),
}  # fmt: skip
BROWSERS = {"Google-chrome", "firefox"}
_WORD = re.compile(r"[a-z]+")
_SITE = re.compile(r"\| (\S+)")


def log(text: str) -> None:
    print(f"[insights_bench] {text}", file=sys.stderr, flush=True)


def _theme(text: str) -> tuple[str, ...] | None:
    for word in _WORD.findall(text.lower()):
        if word in THEME_OF:
            return THEME_OF[word]
    return None


def truth(app: str, title: str) -> tuple[str, ...]:
    """The known category of a value of ``dataset.py``."""
    if app in BROWSERS:
        found = _SITE.search(title)
        site = found.group(1) if found else ""
        known = KNOWN.get(site)
        if known is not None:
            return known
        return _theme(site.split(".")[0]) or _theme(title) or ("Personal",)
    if app in KNOWN:
        return KNOWN[app] or _theme(title) or ("Work", "Programming")
    return _theme(app) or _theme(title) or ("Personal",)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import numpy as np
    from timelygator.core.insights.engine import insights, train
    from timelygator.core.insights.features import fields_of_text
    from timelygator.core.insights.model import DEFAULT_THRESHOLD, train_model, validate
    from timelygator.core.paths import resolve_dirs
    from timelygator.core.services import Services

    folder, heavy, _n, total = build_dataset(365)
    work = Path(tempfile.mkdtemp(prefix="tg-insights-bench-"))
    try:
        log(f"copying the year's data folder ({total} events)…")
        shutil.copytree(folder / "data", work / "data")
        out: dict[str, object] = {"events": total, "threshold": DEFAULT_THRESHOLD}
        with Services.open(resolve_dirs(work / "data"), PASSPHRASE) as services:
            log("first look at the year (digests, then statistics stored once; not timed)…")
            for _ in range(2):  # days whose digests the first pass stores get statistics next
                services.analytics.value_totals(services.user_id, YEAR_FIRST, YEAR_LAST)
                services.writer.flush(120)
            # -- speed and memory on the app's path --------------------------------------
            started = time.perf_counter()
            trained = train(services, YEAR_LAST)
            out["train_year_s"] = round(time.perf_counter() - started, 2)
            out["train_year_read_values_s"] = round(trained.read_seconds, 2)
            out["train_year_fit_s"] = round(trained.seconds - trained.read_seconds, 2)
            # Memory in a second run (tracing slows it): the peak of what training allocates
            # (numpy, scipy and scikit-learn arrays included), over what was held before.
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            again = train(services, YEAR_LAST)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            out["train_extra_peak_mb"] = round((peak - base) / 2**20, 1)
            del again
            model = trained.model
            assert model is not None
            out["train_values"] = model.trained_values
            out["categorized_values"] = sum(
                1 for p in trained.history.paths if p != ("Uncategorized",)
            )
            out["values_in_year"] = len(trained.history)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                found = insights(services, heavy, heavy, trained=trained, words=False)
                times.append((time.perf_counter() - started) * 1000)
            out["suggestions_day_ms"] = round(statistics.median(times), 1)
            out["suggestions_day"] = len(found.suggestions)
            times = []
            for _ in range(3):
                started = time.perf_counter()
                insights(services, heavy, heavy, trained=trained)
                times.append((time.perf_counter() - started) * 1000)
            out["insights_day_with_digest_ms"] = round(statistics.median(times), 1)
            # -- quality with the known labelling ----------------------------------------
            history = trained.history
        fields = [fields_of_text(text) for text in history.texts]
        labels = [truth(f.app, f.title) for f in fields]
        classes = sorted(set(labels))
        y = np.asarray([classes.index(p) for p in labels])
        hidden = np.random.default_rng(args.seed).random(len(fields)) < 0.3
        seen = np.flatnonzero(~hidden)
        test = np.flatnonzero(hidden)
        started = time.perf_counter()
        check = train_model(
            [fields[i] for i in seen], [labels[i] for i in seen], history.us[seen], holdout=0
        )
        out["train_70pct_s"] = round(time.perf_counter() - started, 2)
        assert check is not None
        probabilities = np.zeros((len(test), len(classes)))
        columns = [classes.index(p) for p in check.classes]
        probabilities[:, columns] = check.probabilities([fields[i] for i in test])
        truth_y = y[test]
        ours = validate(truth_y, probabilities, DEFAULT_THRESHOLD)
        everything = validate(truth_y, probabilities, 0.0)
        # Baselines: the most frequent category; the app's most frequent category.
        frequent = int(np.bincount(y[seen]).argmax())
        by_app: dict[str, list[int]] = {}
        for i in seen.tolist():
            by_app.setdefault(fields[i].app, []).append(int(y[i]))
        app_best = {app: int(np.bincount(found).argmax()) for app, found in by_app.items()}

        def onehot(predicted: list[int]) -> np.ndarray:  # type: ignore[type-arg]
            m = np.zeros((len(predicted), len(classes)))
            m[np.arange(len(predicted)), predicted] = 1.0
            return m

        most = validate(truth_y, onehot([frequent] * len(test)), 0.5)
        app_only = validate(
            truth_y, onehot([app_best.get(fields[i].app, frequent) for i in test.tolist()]), 0.5
        )

        def row(v: object) -> dict[str, object]:
            from timelygator.core.insights.model import Validation

            assert isinstance(v, Validation)
            return {
                "accuracy": None if v.accuracy is None else round(v.accuracy, 3),
                "macro_f1": None if v.macro_f1 is None else round(v.macro_f1, 3),
                "coverage": None if v.coverage is None else round(v.coverage, 3),
            }

        out["hidden_values"] = len(test)
        out["categories"] = len(classes)
        out["quality"] = {
            "model_at_threshold": row(ours),
            "model_answering_all": row(everything),
            "baseline_most_frequent": row(most),
            "baseline_app_name_only": row(app_only),
        }
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
