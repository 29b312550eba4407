"""`${VAR}` and `${VAR:-default}`: the environment in entity and project names.

A reference is a name of letters, digits and '_' (not starting with a digit), optionally
followed by `:-` and a literal default. Anything else that starts with `${` in entity or
project is an error, never literal text: `${VAR` (never closed), `${X:-${Y}}` (a default
is not read again), `${VAR:default}`. A variable whose name looks like it holds a secret
(`WANDB_API_KEY`, `GITHUB_TOKEN`, `WANDBAPIKEY`, ...) is refused: its value would end up
in view names, plans and build files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# A well-formed reference anywhere (outside entity and project, ${run:displayName} in a
# legend is W&B's template, not ours: only well-formed ones are reported there).
ENV_REF = re.compile(r"\$\{(?!\{)([^}]*)\}")
ENV_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?")
_START = re.compile(r"\$\{(?!\{)")
_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-([^${}]*))?")
# Name segments (split at '_' and at camelCase humps, compared case-insensitively) that mark
# an environment variable as a secret. Whole segments, so MONKEY or TOKENIZER pass.
SECRET_WORDS = frozenset(
    {
        *("KEY", "KEYS", "APIKEY", "ACCESSKEY", "PRIVATEKEY", "SECRETKEY"),
        *("TOKEN", "TOKENS", "AUTHTOKEN", "SECRET", "SECRETS"),
        *("PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PASSPHRASE"),
        *("CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH"),
    }
)
# Looked for in the name with case and '_' ignored (`WANDBAPIKEY`, `Wandb_ApiKey`), where
# the segments above cannot be told apart.
SECRET_COMPOUNDS = (
    *("APIKEY", "ACCESSKEY", "SECRETKEY", "PRIVATEKEY", "AUTHKEY"),
    *("APITOKEN", "ACCESSTOKEN", "AUTHTOKEN", "PASSWORD", "PASSWD", "PASSPHRASE"),
    *("CREDENTIAL", "SECRET"),
)
_SEGMENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


class EnvError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Reference:
    """One `${...}` in an entity or project: where it is, and its name and default."""

    start: int
    end: int
    name: str
    default: str | None


def references(text: str) -> Iterator[Reference]:
    """Every `${...}` of an entity or project, in order; raises EnvError at a malformed one."""
    position = 0
    while (found := _START.search(text, position)) is not None:
        start = found.start()
        close = text.find("}", found.end())
        if close == -1:
            raise EnvError(
                "'${' is never closed: write ${VAR} or ${VAR:-default} (a default is literal text)",
                start,
            )
        body = text[found.end() : close]
        if "${" in body:
            raise EnvError(
                "a default cannot hold another reference: write ${VAR:-literal text}", start
            )
        match = _BODY.fullmatch(body)
        if match is None:
            raise EnvError(
                "malformed environment reference; write ${VAR} or ${VAR:-default}", start
            )
        yield Reference(start, close + 1, match.group(1), match.group(2))
        position = close + 1


def env_field_problems(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, code, message) of what is wrong with the references of an entity or project."""
    try:
        for ref in references(text):
            word = secret_word(ref.name)
            if word is not None:
                yield ref.start, "RG503", secret_message(ref.name, word)
    except EnvError as exc:
        yield exc.offset, "RG502", exc.message


def secret_word(name: str) -> str | None:
    """What makes an environment variable's name look secret, or None:
    `WANDB_API_KEY` -> 'KEY', `apiToken` -> 'Token', `WANDBAPIKEY` -> 'APIKEY',
    `MONKEY` -> None."""
    for part in name.split("_"):
        for match in _SEGMENT.finditer(part):
            if match.group().upper() in SECRET_WORDS:
                return match.group()
    flat = re.sub(r"[^A-Za-z0-9]", "", name).upper()
    for word in SECRET_COMPOUNDS:
        if word in flat:
            return word
    if flat.endswith(("TOKEN", "TOKENS")):
        return "TOKEN"
    return None


def secret_message(name: str, word: str) -> str:
    return (
        f"environment variable {name} looks like a secret ({word!r} in its name): reportgen "
        "would print its value in view names, plans and build files; read entity and project "
        "from variables that hold nothing else"
    )


def resolve_env(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace `${VAR}` / `${VAR:-default}`; an unset variable without default is an error."""
    env = os.environ if environ is None else environ
    out: list[str] = []
    position = 0
    for ref in references(text):
        word = secret_word(ref.name)
        if word is not None:
            raise EnvError(secret_message(ref.name, word), ref.start)
        value = env.get(ref.name) or ref.default
        if value is None:
            raise EnvError(unset_message(ref.name), ref.start)
        out.extend((text[position : ref.start], value))
        position = ref.end
    out.append(text[position:])
    return "".join(out)


def unset_message(name: str) -> str:
    if name == "WANDB_ENTITY":
        return ENTITY_ADVICE
    return (
        f"environment variable {name} is not set: export {name}=... before running "
        f"reportgen, or write ${{{name}:-default}}"
    )


ENTITY_ADVICE = (
    "WANDB_ENTITY is not set: export WANDB_ENTITY=<your W&B user or team> (`reportgen "
    "sandbox` prints its own), or name the entity in the spec (entity: my-team); plan and "
    "apply default to your W&B default entity"
)
