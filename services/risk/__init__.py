"""风险预警 and the 风险库 (表25, 表26, seed 004 §6; docs/risk.md).

catalogue.py (the rules as data, their parameters and validation), common.py (SQL fragments
the rules share), rules_*.py (one set-based SQL builder per rule), builders.py (code → builder),
evaluate.py (full and incremental runs, open/refresh/close), dry_run.py, affected.py (which
entities an import of facts touches), manual.py (手工预警), queries.py (reading warnings),
evidence.py (links of the evidence), jobs.py and cli.py (the nightly run).
"""
