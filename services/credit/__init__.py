"""Credit-risk classification (seed 002 §四): scorecards as data, set-based scoring, the grade
the draws use, its history, and differentiated supervision (docs/credit.md)."""
