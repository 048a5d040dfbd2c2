"""考核 (seed 004《应用考核办法》): yearly scorecards per unit (docs/assessment.md)."""
