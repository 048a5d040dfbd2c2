"""The data interface /api/v1 (docs/api.md): credentials and tokens (tokens.py), scopes
(scopes.py), the resource registry (registry.py) and its resources (entities.py, facts.py,
published.py), rate limits (ratelimit.py), idempotent writes (idempotency.py), problem details
(problems.py) and the OpenAPI document built from the registry (openapi.py).

A resource is one module that registers a ``Resource`` with its operations; the blueprint
(blueprints/api/) routes every registered operation through one pipeline: token, IP allow-list,
rate limit, scope, body, idempotency, handler, audit, commit.
"""
