"""抽查任务: the task's page (schemes and object draws) and the public draw verification."""
