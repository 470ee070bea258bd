"""Helpers shared by subcommands: resolving directories and unlocking."""

from __future__ import annotations

import argparse

from core.paths import AppDirs, resolve_dirs
from core.services import Services, resolve_passphrase


def dirs_from(args: argparse.Namespace) -> AppDirs:
    return resolve_dirs(getattr(args, "data_dir", None))


def passphrase_from(args: argparse.Namespace) -> str | None:
    return resolve_passphrase(getattr(args, "passphrase_file", None))


def open_services(args: argparse.Namespace, *, create: bool = False) -> Services:
    """Open the data directory named by the arguments (never creates unless asked)."""
    return Services.open(dirs_from(args), passphrase_from(args), create=create)
