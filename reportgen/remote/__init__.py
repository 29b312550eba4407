"""Talking to W&B: credentials and one wandb client in, views listed, written and deleted out.

Sessions, the GraphQL calls, identity markers, secret redaction. Imports `compile`, `spec`
and `problems`; the only folder that builds a `wandb.Api()`.
"""
