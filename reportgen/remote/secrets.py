"""Secrets that must never be printed: every message the CLI writes passes `redact`.

A key reaches text in more forms than its own: wandb sends it as HTTP Basic credentials
(`Authorization: Basic base64("api:<key>")`), URLs carry it percent-encoded, and a server
may echo any of them in an error. Every such form is registered with the key, and server
error text passes the same filter before it becomes a message.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

_SECRETS: set[str] = set()
_ORDERED: list[str] = []  # longest first, so that no shorter form breaks up a longer one
MASK = "***"
MIN_LENGTH = 6  # shorter values would mask ordinary words; W&B keys have 40+ characters
_BASIC_USERS = ("api", "")  # wandb's Basic user name; a bare key encoded on its own


def register_secret(value: str) -> None:
    if len(value) < MIN_LENGTH:
        return
    _SECRETS.update(form for form in derived_forms(value) if len(form) >= MIN_LENGTH)
    _ORDERED[:] = sorted(_SECRETS, key=len, reverse=True)


def derived_forms(key: str) -> Iterator[str]:
    """The key and what it becomes on its way to a server: URL-encoded, and base64 (as in
    `Authorization: Basic ...`, with or without padding, standard and URL-safe alphabets).
    Base64 of the key inside any longer text is caught too: at each of the three byte
    alignments the middle of its encoding does not depend on its neighbours."""
    yield key
    yield quote(key, safe="")
    yield quote_plus(key)
    raw = key.encode("utf-8")
    for user in _BASIC_USERS:
        prefix = f"{user}:".encode() if user else b""
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(prefix + raw).decode("ascii")
            yield text
            yield text.rstrip("=")
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw).decode("ascii")
            # Characters that also encode a neighbouring byte: 2 after a shift, 3 at the end.
            start = {0: 0, 1: 2, 2: 3}[shift]
            end = len(text) - 4
            middle = text[start:end]
            if len(middle) >= 16:
                yield middle


def redact(text: str) -> str:
    for secret in _ORDERED:
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
