"""Secrets that must never be printed: every message the CLI writes passes `redact`."""

from __future__ import annotations

_SECRETS: set[str] = set()
MASK = "***"


def register_secret(value: str) -> None:
    if value:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
