"""开展双随机检查 to 完成抽查: the records of a task, 检查情况记录表, and the public results."""
