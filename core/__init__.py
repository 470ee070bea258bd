"""TimelyGator core: models, encrypted store, writer, queries and the API.

Nothing in this package imports Qt (tests/test_layers.py enforces it).
"""

__version__ = "0.1.0"
