"""信息归集: the facts other departments hold about entities and persons (docs/collection.md)."""
