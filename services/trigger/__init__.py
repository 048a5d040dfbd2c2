"""触发式双随机监管 (表28; docs/trigger.md): rules, the 触发式对象库 build, extraction, the weighted draw."""
