"""The bottom layer: plumbing with no business rule that imports nothing of the project
but itself (clock, errors, Excel, PDF, validators, …); models may use it
(docs/architecture.md, Layers)."""
