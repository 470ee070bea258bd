"""The database key: create it, keep it in the OS keyring or a passphrase-wrapped key file.

The database is encrypted with a random 256-bit data key given to SQLCipher as a raw key,
so opening the database costs no key derivation. The data key itself is kept either

* in the OS keyring (``keyring``), the default on desktops, or
* in ``key.json`` beside the database, wrapped with AES-256-GCM under a key derived from the
  user's passphrase with scrypt; used when there is no keyring or the user chooses it.

Changing the passphrase rewraps the data key (instant, the database is untouched). Replacing
the data key (``db rekey``) stores the new key as *pending* first, so a crash half-way leaves
a key that opens whichever file survived. Moving the key between the keyring and the key file
writes an intent (``key.json.op``) first, so a crash between the two writes is finished the
same way by the next holder of the folder lock (``core.recovery``). Nothing here takes locks:
callers that change key material hold the folder lock.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from timelygator.core import files, steps
from timelygator.core.errors import (
    KeyMissingError,
    KeyringUnavailableError,
    PassphraseRequiredError,
    StorageError,
    ValidationError,
    WrongKeyError,
)
from timelygator.core.paths import AppDirs

KEY_BYTES = 32
KEYRING_SERVICE = "TimelyGator"
_AAD = b"timelygator-key-v1"
_FORMAT = "timelygator-key"

# scrypt cost: N=2**17, r=8, p=1 (OWASP's recommendation; ~0.3 s and 128 MiB once per unlock).
SCRYPT_N = 2**17
_SCRYPT_MAXMEM = 1 << 30  # OpenSSL's limit for hashlib.scrypt (N=2**17, r=8 needs 128 MiB)
SCRYPT_R = 8
SCRYPT_P = 1

MIN_PASSPHRASE_LENGTH = 8


class KeyMode(StrEnum):
    """Where the data key lives."""

    KEYRING = "keyring"
    PASSPHRASE = "passphrase"  # noqa: S105 - a mode name, not a secret


@dataclass(frozen=True, slots=True, repr=False)
class DataKey:
    """A 256-bit database key. Its repr never shows the secret."""

    raw: bytes

    def __repr__(self) -> str:
        return "DataKey(<hidden>)"

    @classmethod
    def generate(cls) -> DataKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def sqlcipher_literal(self) -> str:
        """The value for ``PRAGMA key``: a raw key, so SQLCipher skips its own KDF."""
        return f"\"x'{self.raw.hex()}'\""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # hashlib's scrypt (OpenSSL) releases the GIL while it works: unlocking on a worker then
    # leaves the GUI thread free (cryptography's Scrypt holds the GIL for the ~0.4 s).
    # Both compute the same RFC 7914 scrypt; cryptography's is the fallback.
    secret = passphrase.encode("utf-8")
    try:
        return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM, dklen=32)
    except (AttributeError, ValueError):  # no OpenSSL scrypt, or beyond its memory limit
        return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def wrap_key(key: DataKey, passphrase: str) -> dict[str, Any]:
    """Encrypt ``key`` under ``passphrase``; returns the key-file document."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ValidationError(
            f"The passphrase is too short: use at least {MIN_PASSPHRASE_LENGTH} characters."
        )
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    kek = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(kek).encrypt(nonce, key.raw, _AAD)
    return {
        "format": _FORMAT,
        "version": 1,
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }


def unwrap_key(document: dict[str, Any], passphrase: str) -> DataKey:
    """Decrypt a key-file document; WrongKeyError when the passphrase does not fit."""
    try:
        if document.get("format") != _FORMAT or document.get("version") != 1:
            raise ValueError("unknown format")
        kdf = document["kdf"]
        if kdf["name"] != "scrypt":
            raise ValueError("unknown kdf")
        kek = _derive(passphrase, _unb64(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        nonce = _unb64(document["nonce"])
        ciphertext = _unb64(document["ciphertext"])
    except (KeyError, TypeError, ValueError) as exc:
        raise StorageError(
            "The key file is damaged or from an unknown version; restore it from a backup."
        ) from exc
    try:
        raw = AESGCM(kek).decrypt(nonce, ciphertext, _AAD)
    except InvalidTag:
        raise WrongKeyError(
            "The passphrase is wrong. Nothing was changed; try again "
            "(TIMELYGATOR_PASSPHRASE or --passphrase-file for unattended use)."
        ) from None
    return DataKey(raw)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically and durably, readable by the owner only."""
    files.write_private(path, text.encode("utf-8"))


OP_SET_PASSPHRASE = "set-passphrase"  # noqa: S105 - an operation name
OP_REMOVE_PASSPHRASE = "remove-passphrase"  # noqa: S105 - an operation name


class KeyStore:
    """Keeps the data key of one data directory."""

    def __init__(self, dirs: AppDirs) -> None:
        self._dirs = dirs
        digest = hashlib.sha256(str(dirs.data).encode("utf-8")).hexdigest()[:16]
        self._account = f"database-key:{digest}"

    # -- where is the key ---------------------------------------------------------------
    @property
    def key_file(self) -> Path:
        return self._dirs.key_file

    @property
    def pending_key_file(self) -> Path:
        return self._dirs.key_file.with_name(self._dirs.key_file.name + ".pending")

    @property
    def op_file(self) -> Path:
        """The intent of an unfinished move of the key between keyring and key file."""
        return self._dirs.key_file.with_name(self._dirs.key_file.name + ".op")

    def pending_op(self) -> str | None:
        try:
            document = json.loads(self.op_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return "unknown"
        op = document.get("op") if isinstance(document, dict) else None
        return op if isinstance(op, str) else "unknown"

    def _begin_op(self, op: str) -> None:
        _write_private(self.op_file, json.dumps({"op": op}))

    def end_op(self) -> None:
        files.remove(self.op_file)

    def mode(self) -> KeyMode | None:
        """Where the key lives now, or None when there is no key at all."""
        if self.key_file.exists():
            return KeyMode.PASSPHRASE
        if self._keyring_get(self._account) is not None:
            return KeyMode.KEYRING
        return None

    # -- keyring access, with errors users can act on -------------------------------------
    def _keyring_get(self, account: str) -> str | None:
        try:
            return keyring.get_password(KEYRING_SERVICE, account)
        except keyring.errors.NoKeyringError:
            return None
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailableError(
                f"The OS keyring could not be read ({type(exc).__name__}). Unlock it, or "
                "store the key under a passphrase instead."
            ) from None

    def _keyring_set(self, account: str, value: str) -> None:
        try:
            keyring.set_password(KEYRING_SERVICE, account, value)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailableError(
                f"No usable OS keyring ({type(exc).__name__}). Choose a passphrase instead "
                "(timelygator db passphrase set, or TIMELYGATOR_PASSPHRASE)."
            ) from None

    def _keyring_delete(self, account: str) -> None:
        try:
            keyring.delete_password(KEYRING_SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError:
            pass

    def keyring_available(self) -> bool:
        """True when a real keyring backend (not the 'fail' one) is configured."""
        backend = keyring.get_keyring()
        priority = getattr(backend, "priority", 0)
        return bool(priority > 0)

    # -- create / load ------------------------------------------------------------------
    def create(self, passphrase: str | None) -> DataKey:
        """Make a new data key and store it (key file with a passphrase, else keyring)."""
        key = DataKey.generate()
        self._store(key, passphrase, pending=False)
        return key

    def _store(self, key: DataKey, passphrase: str | None, *, pending: bool) -> None:
        if passphrase is not None:
            target = self.pending_key_file if pending else self.key_file
            _write_private(target, json.dumps(wrap_key(key, passphrase), indent=2))
        else:
            account = self._account + (":pending" if pending else "")
            self._keyring_set(account, key.raw.hex())

    def has_pending(self) -> bool:
        """Whether a rekey left (or is writing) a pending key."""
        if self.pending_key_file.exists():
            return True
        return self._keyring_get(self._account + ":pending") is not None

    def load(self, passphrase: str | None) -> list[DataKey]:
        """The candidate keys, current first, then a pending one from an interrupted rekey."""
        mode = self.mode()
        if mode is KeyMode.PASSPHRASE:
            if passphrase is None:
                raise PassphraseRequiredError(
                    "The database is protected by a passphrase. Enter it, or set "
                    "TIMELYGATOR_PASSPHRASE / --passphrase-file for unattended use."
                )
            keys = [unwrap_key(self._read_json(self.key_file), passphrase)]
            # A pending key wrapped under another passphrase (an older build changed the
            # passphrase after an interrupted rekey) is useless with this one: the current
            # key decides (``core.recovery``).
            if self.pending_key_file.exists():
                with contextlib.suppress(WrongKeyError, StorageError):
                    keys.append(unwrap_key(self._read_json(self.pending_key_file), passphrase))
            return keys
        if mode is KeyMode.KEYRING:
            keys = [self._key_from_hex(self._keyring_get(self._account))]
            pending = self._keyring_get(self._account + ":pending")
            if pending is not None:
                keys.append(self._key_from_hex(pending))
            return keys
        raise KeyMissingError(
            f"No key for the database in {self._dirs.data} was found (neither in the OS "
            "keyring nor as key.json). Restore the key file or keyring entry; the database "
            "was not touched."
        )

    @staticmethod
    def _key_from_hex(text: str | None) -> DataKey:
        try:
            raw = bytes.fromhex(text or "")
        except ValueError:
            raw = b""
        if len(raw) != KEY_BYTES:
            raise StorageError("The key stored in the OS keyring is damaged.")
        return DataKey(raw)

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StorageError(
                f"The key file {path} cannot be read: {exc.__class__.__name__}."
            ) from None
        if not isinstance(document, dict):
            raise StorageError(f"The key file {path} is damaged.")
        return document

    # -- passphrase changes (the database itself is untouched; the folder lock is held) ----
    def set_passphrase(self, key: DataKey, passphrase: str) -> None:
        """Move the key from the keyring into a key file wrapped by ``passphrase``."""
        wrapped = json.dumps(wrap_key(key, passphrase), indent=2)  # validates the length
        self._begin_op(OP_SET_PASSPHRASE)
        steps.step("passphrase-set", "intent")
        _write_private(self.key_file, wrapped)
        steps.step("passphrase-set", "key-file")
        self.finish_set_passphrase()

    def finish_set_passphrase(self) -> None:
        """The key file is written: drop the keyring's copy (also after a crash)."""
        if self.key_file.exists():
            self._keyring_delete(self._account)
            steps.step("passphrase-set", "keyring-deleted")
        self.end_op()

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap the key (and a pending one, if any) under a new passphrase (instant)."""
        key = unwrap_key(self._read_json(self.key_file), old)
        pending = None
        if self.pending_key_file.exists():
            pending = unwrap_key(self._read_json(self.pending_key_file), old)
        wrapped = json.dumps(wrap_key(key, new), indent=2)
        if pending is not None:
            _write_private(self.pending_key_file, json.dumps(wrap_key(pending, new), indent=2))
            steps.step("passphrase-change", "pending-rewrapped")
        _write_private(self.key_file, wrapped)
        steps.step("passphrase-change", "key-file")

    def remove_passphrase(self, passphrase: str) -> None:
        """Move the key from the key file into the OS keyring."""
        key = unwrap_key(self._read_json(self.key_file), passphrase)
        self._begin_op(OP_REMOVE_PASSPHRASE)
        steps.step("passphrase-remove", "intent")
        self.finish_remove_passphrase(key)

    def finish_remove_passphrase(self, key: DataKey) -> None:
        """Store ``key`` in the keyring, check it, then delete the key file (also after a crash)."""
        self._keyring_set(self._account, key.raw.hex())
        if self._keyring_get(self._account) != key.raw.hex():
            raise KeyringUnavailableError(
                "The OS keyring did not keep the key; the passphrase stays in place."
            )
        steps.step("passphrase-remove", "keyring-set")
        files.remove(self.key_file)
        steps.step("passphrase-remove", "key-file-deleted")
        self.end_op()

    # -- rekey support (the folder lock is held) -------------------------------------------
    def store_pending(self, key: DataKey, passphrase: str | None) -> None:
        """Save a key that will replace the current one once the database is re-encrypted."""
        self._store(key, passphrase, pending=True)

    def pending_key(self, passphrase: str | None) -> DataKey | None:
        """The pending key as stored now (None when there is none)."""
        if self.mode() is KeyMode.PASSPHRASE:
            if not self.pending_key_file.exists() or passphrase is None:
                return None
            return unwrap_key(self._read_json(self.pending_key_file), passphrase)
        stored = self._keyring_get(self._account + ":pending")
        return None if stored is None else self._key_from_hex(stored)

    def promote_pending(self, key: DataKey, passphrase: str | None) -> None:
        """The database now uses the pending ``key``: make it the current one.

        Raises StorageError when the pending key is not ``key`` or the new current key does
        not read back as ``key``: the caller must not go on as if it were saved.
        """
        if self.pending_key(passphrase) != key:
            raise StorageError(
                "The new key is no longer where it was saved (key.json.pending or the "
                "keyring); the re-encryption was not completed."
            )
        if self.mode() is KeyMode.PASSPHRASE:
            files.replace(self.pending_key_file, self.key_file)
        else:
            self._keyring_set(self._account, key.raw.hex())
            steps.step("promote", "keyring-set")
            self._keyring_delete(self._account + ":pending")
        current = self.load(passphrase)
        if current[0] != key:
            raise StorageError("The new key could not be saved as the current key.")

    def restore_current(self, key: DataKey, passphrase: str | None) -> None:
        """Store ``key`` as the current key again (undoing a promotion that failed)."""
        self._store(key, passphrase, pending=False)

    def discard_pending(self) -> None:
        files.remove(self.pending_key_file)
        self._keyring_delete(self._account + ":pending")
