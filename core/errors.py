"""Errors that reach users.

Every exception here carries a message that says what happened and what to do, and never
contains a secret (key, passphrase or token). Layers above turn them into dialogs (GUI),
exit codes (CLI) or HTTP errors (API).
"""

from __future__ import annotations


class TimelyGatorError(Exception):
    """Base class: ``str(error)`` is a complete, user-facing sentence.

    ``details`` are lines for whoever asks for more (``--verbose``), never secrets.
    """

    exit_code = 1

    def __init__(self, message: str = "", *, details: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(message)
        self.details = list(details)


class ValidationError(TimelyGatorError, ValueError):
    """Input that cannot be stored as given (nothing was written)."""

    exit_code = 2


class NotFoundError(TimelyGatorError, LookupError):
    """A bucket, event or other object that does not exist (for this user)."""


class ConflictError(TimelyGatorError):
    """The object already exists."""


class ChangeFailedError(TimelyGatorError):
    """One change could not be saved for a reason of its own (a bug, logged with details);
    nothing of it was stored, and the changes committed with it were saved."""

    def __init__(self) -> None:
        super().__init__(
            "This change could not be saved (an internal error, logged by TimelyGator); "
            "nothing of it was stored. Other changes were saved."
        )


class StorageError(TimelyGatorError):
    """The database cannot be used right now. Existing data is untouched."""

    exit_code = 3


class WrongKeyError(StorageError):
    """The key or passphrase does not open the database."""


class KeyMissingError(StorageError):
    """No key for an existing database could be found."""


class PassphraseRequiredError(KeyMissingError):
    """The key is wrapped by a passphrase and none was given."""


class KeyringUnavailableError(StorageError):
    """The OS keyring cannot be used (no backend, locked, or refused)."""


class DatabaseLockedError(StorageError):
    """Another process holds the database or the data directory."""


class DatabaseCorruptError(StorageError):
    """The database file is damaged."""


class DiskFullError(StorageError):
    """The disk holding the database is full."""


class ReadOnlyError(StorageError):
    """The database file or its directory cannot be written."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer TimelyGator."""


class SyncError(TimelyGatorError):
    """The sync server cannot be reached, or refused what was asked (never naming the token).
    Nothing local changed; the next sync resumes where this one stopped.

    ``retry``: trying again later may help (the server is down or busy), unlike a refused
    token or an address that is no TimelyGator server.
    """

    exit_code = 4

    def __init__(
        self, message: str = "", *, retry: bool = True, details: tuple[str, ...] | list[str] = ()
    ) -> None:
        super().__init__(message, details=details)
        self.retry = retry


class ServerUnreachableError(StorageError):
    """The database server (server mode, PostgreSQL) cannot be reached or dropped the link."""


class AccessDeniedError(StorageError):
    """The database server refused the user name or password of the database URL."""


class NoSuchDatabaseError(StorageError):
    """The database URL names a database the server does not have."""
