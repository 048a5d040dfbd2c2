"""联合奖惩 (DB5101 ch. 12, 表29–表31; seed 004 §5, §8.1): docs/sanctions.md."""
