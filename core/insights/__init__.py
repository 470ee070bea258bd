"""Insights (experimental, local-only): suggestions for uncategorized time, the day or week in
words, unusual days. Qt-free; the app, ``timelygator insights`` and ``/api/0/insights`` sit on
``engine``. Nothing here sends anything anywhere; the model lives in memory."""
