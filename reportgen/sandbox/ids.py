"""Relay ids, cursors and timestamps in the shapes W&B uses on the wire."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
import string


def relay_id(type_name: str, key: object) -> str:
    """``base64("<Type>:<key>")``, e.g. ``relay_id("View", 1000) == "VmlldzoxMDAw"``."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def decode_relay_id(value: str, type_name: str) -> str | None:
    """The key inside a Relay id of the given type, or None when it is not one.

    The clients strip base64 padding in report URLs, so it is restored here.
    """
    padded = value + "=" * (-len(value) % 4)
    try:
        text = base64.b64decode(padded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix = f"{type_name}:"
    return text[len(prefix) :] if text.startswith(prefix) else None


def decode_int_id(value: str | None, type_name: str) -> int | None:
    """The integer key of a Relay id such as ``View:12``; None for anything else."""
    if not value:
        return None
    key = decode_relay_id(value, type_name)
    return int(key) if key is not None and key.isdigit() else None


def run_relay_id(run: str, project: str, entity: str) -> str:
    """W&B's storage id of a run: ``base64("Run:v1:<name>:<project>:<entity>")``."""
    return relay_id("Run", f"v1:{run}:{project}:{entity}")


def offset_cursor(offset: int) -> str:
    """An opaque cursor for position-based pages (runs are sorted on every request)."""
    return relay_id("Cursor", offset)


def decode_offset_cursor(cursor: str | None) -> int:
    """The position after which the next page starts; -1 for "from the beginning"."""
    if not cursor:
        return -1
    key = decode_relay_id(cursor, "Cursor")
    return int(key) if key is not None and key.isdigit() else -1


def now() -> str:
    """The current UTC time as W&B serialises DateTime: seconds, no zone."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def parse_time(value: str) -> dt.datetime | None:
    """A naive UTC datetime from an ISO string (with or without zone), or None."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


_RUN_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_run_name() -> str:
    """An 8-character run id like the ones wandb generates."""
    return "".join(secrets.choice(_RUN_ID_ALPHABET) for _ in range(8))


def new_token(nbytes: int = 16) -> str:
    """A random hex token (access tokens, generated API keys)."""
    return secrets.token_hex(nbytes)
