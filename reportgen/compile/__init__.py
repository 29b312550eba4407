"""Compilation: the spec model in, the view JSON W&B stores out (and its canonical form).

Leaderboard sugar, wandb-workspaces objects, filterV2, view specs, normalisation.
Imports `spec` and `problems`; never the network.
"""
