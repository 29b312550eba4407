"""The seed's training loop: two image classifiers logged to W&B with the real SDK.

Run it against the local sandbox (or any W&B server)::

    reportgen sandbox &            # prints the three export lines below
    export WANDB_BASE_URL=http://127.0.0.1:8765
    export WANDB_API_KEY=...
    export WANDB_ENTITY=...
    python examples/train_seed.py

Each run logs ``{"epoch", "accuracy", "loss"}`` for epochs 0..49, so ViT ends at accuracy
0.88 + 49/50 * 0.08 = 0.9584 and ResNet at 0.85 + 49/50 * 0.1 = 0.948.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PROJECT = "image-classification-leaderboard"
EPOCHS = 50


@dataclass(frozen=True)
class Model:
    """One run of the seed: its name, config and metric curves."""

    name: str
    config: dict[str, Any]
    accuracy: Callable[[int], float] = field(repr=False)
    loss: Callable[[int], float] = field(repr=False)


MODELS = (
    Model(
        name="resnet50-v1",
        config={
            "model_architecture": "ResNet50",
            "learning_rate": 0.001,
            "epochs": EPOCHS,
            "dataset": "CIFAR-10",
        },
        accuracy=lambda epoch: 0.85 + epoch / 50 * 0.1,
        loss=lambda epoch: 1.0 - epoch / 50 * 0.8,
    ),
    Model(
        name="vit-base-patch16-v1",
        config={
            "model_architecture": "VisionTransformer",
            "learning_rate": 0.0005,
            "epochs": EPOCHS,
            "dataset": "CIFAR-10",
        },
        accuracy=lambda epoch: 0.88 + epoch / 50 * 0.08,
        loss=lambda epoch: 0.95 - epoch / 50 * 0.7,
    ),
)


def main(project: str = PROJECT, entity: str | None = None) -> list[str]:
    """Log both runs (online, to WANDB_BASE_URL) and return their run ids."""
    import wandb

    run_ids = []
    for model in MODELS:
        run = wandb.init(project=project, entity=entity, name=model.name, config=model.config)
        for epoch in range(EPOCHS):
            run.log({"epoch": epoch, "accuracy": model.accuracy(epoch), "loss": model.loss(epoch)})
        run.finish()
        run_ids.append(run.id)
    return run_ids


if __name__ == "__main__":
    for run_id in main():
        print(run_id)
