"""一户一档 (the entity dossier, its timeline and PDF) and the person page (docs/dossier.md)."""
