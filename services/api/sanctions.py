"""Resource ``sanctions``: 联合奖惩 for the implementing departments' systems (表29 接收 and 录入
结果 through the 数据接口, and the counter plug-in's check).

- GET /sanction-tasks: the client department's tasks (``status`` filters); reading them is
  接收联合奖惩任务 (issued tasks become received, channel 接口).
- POST /sanction-tasks/{task_id}/result: 录入联合奖惩结果 ({"result": "…"}); the same result again
  is harmless, another department's task is refused (403).  Send an Idempotency-Key.
- POST /sanction-checks/{code}/result: the counter plug-in's 录入结果 for the client department's
  tasks on that object (channel 插件); a repeated call writes nothing.
- GET /sanction-checks/{code}: the measures in force for a 统一社会信用代码 or 身份证号, for the
  client's department (``all=1``: every department's); one indexed query.
Scopes: ``sanctions:read``, ``sanctions:write``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infrastructure.errors import NotFound
from infrastructure.validators import normalize_code
from models import SanctionTask, db
from models.sanctions import SanctionTaskStatus as TS
from services.api.problems import ApiProblem
from services.api.registry import READ, WRITE, Call, Operation, Param, Reply, Resource, register
from services.sanctions import tasks

MAX_TASKS = 500


def _task(task: SanctionTask) -> dict[str, Any]:
    obj = task.object
    return {
        "id": task.id, "status": task.status, "object_name": obj.name,
        "object_code": obj.code if not obj.is_person else None, "person": obj.is_person,
        "behaviour": obj.entry.behaviour, "measure": task.measure.content, "basis": obj.basis,
        "due_on": task.due_on.isoformat() if task.due_on else None, "result": task.result or None,
    }


def list_tasks(call: Call) -> Reply:
    status = call.query.get("status", "")
    if status and status not in {s.value for s in TS}:
        raise ApiProblem("invalid-request", "status 取值应为 issued、received、executed 或 recorded")
    query = select(SanctionTask).where(SanctionTask.department_id == call.user.department_id)
    if status:
        query = query.where(SanctionTask.status == status)
    rows = list(db.session.execute(query.order_by(SanctionTask.id).limit(MAX_TASKS)).scalars())
    fresh = [t.id for t in rows if t.status == TS.ISSUED]
    if fresh:
        tasks.receive(call.user, fresh, channel="接口")
    call.counts["条数"] = len(rows)
    return Reply({"items": [_task(t) for t in rows]})


def post_result(call: Call) -> Reply:
    raw = call.params["sanction_task_id"]
    task = db.session.get(SanctionTask, int(raw)) if raw.isdigit() else None
    if task is None:
        raise ApiProblem("not-found", "未找到该联合奖惩任务")
    body = call.body if isinstance(call.body, dict) else {}
    result = body.get("result")
    if not isinstance(result, str):
        raise ApiProblem("invalid-request", "请求体应为 {\"result\": \"…\"}")
    written = tasks.record_result(call.user, task, result, channel="接口")
    call.counts["写入"] = int(written)
    return Reply(_task(task))


def check(call: Call) -> Reply:
    department = None if call.query.get("all") == "1" else call.user.department_id
    found = tasks.check(call.params["code"], department)
    return Reply({"code": normalize_code(call.params["code"]), "restricted": bool(found), "measures": found})


def post_check_result(call: Call) -> Reply:
    body = call.body if isinstance(call.body, dict) else {}
    result = body.get("result")
    if not isinstance(result, str):
        raise ApiProblem("invalid-request", "请求体应为 {\"result\": \"…\"}")
    try:
        written, found = tasks.record_for_code(call.user, call.params["code"], result, channel="插件")
    except NotFound as exc:
        raise ApiProblem("not-found", exc.message) from None
    call.counts["写入"] = written
    return Reply({"code": normalize_code(call.params["code"]), "written": written, "items": [_task(t) for t in found]})


TASK = {
    "type": "object",
    "required": ["id", "status", "object_name", "behaviour", "measure"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": [s.value for s in TS]},
        "object_name": {"type": "string"}, "object_code": {"type": ["string", "null"]},
        "person": {"type": "boolean", "description": "自然人（证件号码不下发）"},
        "behaviour": {"type": "string"}, "measure": {"type": "string"}, "basis": {"type": "string"},
        "due_on": {"type": ["string", "null"]}, "result": {"type": ["string", "null"]},
    },
}
SCHEMAS = {
    "SanctionTask": TASK,
    "SanctionTaskList": {"type": "object", "required": ["items"], "additionalProperties": False,
                         "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/SanctionTask"}}}},
    "SanctionResult": {"type": "object", "required": ["result"],
                       "properties": {"result": {"type": "string", "minLength": 1, "maxLength": 2000}}},
    "SanctionCheckResult": {
        "type": "object", "required": ["code", "written", "items"], "additionalProperties": False,
        "properties": {"code": {"type": "string"}, "written": {"type": "integer"},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/SanctionTask"}}},
    },
    "SanctionCheck": {
        "type": "object", "required": ["code", "restricted", "measures"], "additionalProperties": False,
        "properties": {"code": {"type": "string"}, "restricted": {"type": "boolean"},
                       "measures": {"type": "array", "items": {"type": "object"}}},
    },
}

RESOURCE = register(Resource(
    name="sanctions",
    title="联合奖惩",
    tag_description="实施部门读取联合奖惩任务、写入结果，柜台插件验证对象适用的措施",
    schemas=SCHEMAS,
    operations=(
        Operation("GET", "/sanction-tasks", READ, "读取本部门的联合奖惩任务（读取即接收）", list_tasks, "SanctionTaskList",
                  params=(Param("status", "query", "任务状态"),), problems=(400,)),
        Operation("POST", "/sanction-tasks/{sanction_task_id}/result", WRITE, "录入联合奖惩结果", post_result, "SanctionTask",
                  params=(Param("sanction_task_id", "path", "任务编号", required=True),), request="SanctionResult",
                  problems=(400, 404, 409)),
        Operation("GET", "/sanction-checks/{code}", READ, "验证统一社会信用代码或身份证号适用的联合奖惩措施", check,
                  "SanctionCheck", params=(Param("code", "path", "统一社会信用代码或身份证号", required=True),
                                           Param("all", "query", "1：所有部门的措施")), problems=(400,), pure=True),
        Operation("POST", "/sanction-checks/{code}/result", WRITE, "柜台插件录入该对象本部门联合奖惩任务的结果",
                  post_check_result, "SanctionCheckResult",
                  params=(Param("code", "path", "统一社会信用代码或身份证号", required=True),), request="SanctionResult",
                  problems=(400, 404, 409)),
    ),
))
