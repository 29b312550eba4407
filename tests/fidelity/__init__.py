"""Hand-written wandb-workspaces twins of every spec and example (see ``twins``)."""
