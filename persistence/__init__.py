"""Shared machinery over the models, with no chapter's rule: the audit trail, the data
scope, sessions, notifications, background jobs, working days, bulk inserts.  Above
models, below workflows (docs/architecture.md, Layers)."""
