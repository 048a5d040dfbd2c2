"""检查组 (/tasks/<id>/team), 执法回避 declarations and 公平性监测 (/fairness)."""
