"""Talking to W&B: credentials in; views listed, written and deleted, and runs read, out.

Sessions (our HTTP transport, or `wandb.Api()` where only wandb can), the GraphQL calls,
identity markers, secret redaction. Imports `compile`, `spec` and `problems`.
"""
