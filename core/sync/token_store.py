"""The sync server's API token: kept in the OS keyring, one entry per data folder, never in
a file or the database (whose settings an API token of the local API could read).
"""

from __future__ import annotations

import hashlib

import keyring
import keyring.errors
from timelygator.core.errors import KeyringUnavailableError
from timelygator.core.keys import KEYRING_SERVICE
from timelygator.core.logs import add_secret
from timelygator.core.paths import AppDirs


def _account(dirs: AppDirs) -> str:
    digest = hashlib.sha256(str(dirs.data).encode("utf-8")).hexdigest()[:16]
    return f"sync-token:{digest}"


def _unavailable(exc: Exception, doing: str) -> KeyringUnavailableError:
    return KeyringUnavailableError(
        f"The OS keyring could not {doing} the sync token ({type(exc).__name__}). Unlock "
        "the keyring, or give the token to 'timelygator sync' with --token-file or "
        "TIMELYGATOR_SYNC_TOKEN."
    )


def load_token(dirs: AppDirs) -> str | None:
    """The stored token, or None when there is none (or no keyring to hold one)."""
    try:
        token = keyring.get_password(KEYRING_SERVICE, _account(dirs))
    except keyring.errors.NoKeyringError:
        return None
    except keyring.errors.KeyringError as exc:
        raise _unavailable(exc, "read") from None
    if not token:
        return None
    add_secret(str(token))
    return str(token)


def store_token(dirs: AppDirs, token: str) -> None:
    """Keep ``token`` for this data folder (an empty one removes it)."""
    token = token.strip()
    if not token:
        delete_token(dirs)
        return
    add_secret(token)
    try:
        keyring.set_password(KEYRING_SERVICE, _account(dirs), token)
    except keyring.errors.KeyringError as exc:
        raise _unavailable(exc, "store") from None


def delete_token(dirs: AppDirs) -> None:
    try:
        keyring.delete_password(KEYRING_SERVICE, _account(dirs))
    except keyring.errors.PasswordDeleteError:
        pass  # there was none
    except keyring.errors.KeyringError as exc:
        raise _unavailable(exc, "remove") from None
