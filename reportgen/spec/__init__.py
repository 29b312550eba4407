"""The spec language: YAML files in, a typed model (`model.Spec`) and placed `Problem`s out.

Finding files, YAML with positions, matrix and environment, JSON Schema (and its compiled
checks), semantic checks, references and filters. Imports only `reportgen.problems`: no wandb, no network.
"""
