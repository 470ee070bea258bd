"""Sync between computers through a TimelyGator server (``timelygator sync``, Settings → Sync).

``ranges`` (replacing a range of starts: the idempotent transfer), ``protocol`` (what device
and server exchange, for both sides), ``state`` (watermarks, written after the server's
answer), ``engine`` (push and pull), ``token_store`` (the token in the OS keyring).
"""
