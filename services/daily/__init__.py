"""监管认领, 对象维护 and 日常监管 (docs/daily.md).

``claim(session, department_id, entity_ids, source, actor)`` is the entry point other chapters
use (双告知's 已发证 feedback lists the entity as the approving department's object).
"""

from services.daily.objects import claim

__all__ = ["claim"]
