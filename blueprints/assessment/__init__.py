"""/assessment: 考核 (seed 004《应用考核办法》; docs/assessment.md)."""
