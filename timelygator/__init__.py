"""TimelyGator: a privacy-first time tracker.

One namespace, four parts, each kept in its own top-level folder of the repository and
installed under this package (``[tool.setuptools.package-dir]`` in pyproject.toml):

- ``timelygator.core`` (``core/``): models, the encrypted store, the writer, queries,
  analytics, the API and the command line; never imports Qt.
- ``timelygator.watchers`` (``watchers/``): what reads the active window, tabs and idle
  time; never imports Qt.
- ``timelygator.gui`` (``timelygator_gui/``): the PySide6 desktop app.
- ``timelygator.resources`` (``resources/``): bundled files (categories, icons, styles,
  extensions).

``python -m timelygator`` runs the app (or a command: ``python -m timelygator --help``).
"""
