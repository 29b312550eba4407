"""What `--help` ends with: the environment a command reads and two or three examples.

click rewraps epilog paragraphs; one starting with a line of `\\b` is kept as is.
"""

from __future__ import annotations

ENVIRONMENT = (
    "WANDB_API_KEY    the W&B API key (else the netrc entry `wandb login` writes)",
    "WANDB_BASE_URL   the W&B server when --base-url is not given (else https://api.wandb.ai)",
    "WANDB_ENTITY     the entity of specs that name none (else your default entity)",
)

EXAMPLES: dict[str, tuple[str, ...]] = {
    "reportgen": (
        "reportgen validate specs/",
        "reportgen plan specs/ -f markdown -o plan.md",
        "reportgen apply specs/",
    ),
    "validate": (
        "reportgen validate",
        "reportgen validate specs/ examples/ --strict",
        "reportgen validate specs/ -f github",
    ),
    "build": (
        "reportgen build",
        "reportgen build specs/cifar10.yaml -o build/",
    ),
    "plan": (
        "reportgen plan",
        "reportgen plan specs/ --detailed-exitcode",
        "reportgen plan specs/ -f markdown --rank-changes -o plan.md",
    ),
    "apply": (
        "reportgen apply",
        "reportgen apply specs/ --target 'cifar10*'",
        "reportgen apply specs/ --prune --dry-run",
    ),
    "sandbox": (
        "reportgen sandbox",
        "reportgen sandbox --port 0 --db /tmp/sandbox.db",
        "reportgen sandbox --fault 500,rate=30%",
    ),
    "preview": (
        "reportgen preview",
        "reportgen preview specs/ -f html -o preview.html",
        "reportgen preview specs/ --gate 'accuracy >= 0.95' --diff -f markdown",
    ),
    "pull": (
        "reportgen pull https://wandb.ai/team/proj?nw=abc123 -o specs/",
        "reportgen pull --project team/proj -o specs/",
        "reportgen pull --drifted specs/",
    ),
    "schema": (
        "reportgen schema",
        "reportgen schema > reportgen.schema.json",
    ),
}


def epilog(command: str, *, environment: bool = False, examples: tuple[str, ...] = ()) -> str:
    """The text after a command's options: its environment (if it talks to W&B) and two or
    three examples (`examples`, else the command's in EXAMPLES)."""
    parts = []
    if environment:
        parts.append("Environment:\n\n\b\n" + "\n".join(f"  {line}" for line in ENVIRONMENT))
    lines = "\n".join(f"  {line}" for line in examples or EXAMPLES[command])
    parts.append(f"Examples:\n\n\b\n{lines}")
    return "\n\n".join(parts)
