"""Secrets that must never be printed: every message the CLI writes passes `redact`."""

from __future__ import annotations

from typing import Any, TextIO

_SECRETS: set[str] = set()
MASK = "***"
MIN_LENGTH = 6  # shorter values would mask ordinary words; W&B keys have 40+ characters


def register_secret(value: str) -> None:
    if len(value) >= MIN_LENGTH:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class Redacting:
    """A text stream that masks secrets in everything written to it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(redact(text))

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
