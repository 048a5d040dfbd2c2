"""One import framework: an ``ImportKind`` declares what differs, this module does the rest.

Shaped like django-import-export: a declared resource (the kind), a dry run with per-row
results (the preview), one set of views (blueprints/imports) and one template
(templates/imports/).  A kind declares

* its template (``template``: columns, dropdowns, 填写说明; services/templates_catalogue.py),
  the rows it accepts (``max_rows``) and the extra steps shown on the upload page;
* who may import (``can_import``) and any context of the upload (``load_context``, e.g. the
  task a ledger belongs to), checked again at the confirmation;
* how rows are read (``read``, by default excel.read_table against the template) and checked
  (``check``: errors per cell, in Chinese, on ``Row.add_error``; a valid row gets a payload);
* its natural key (``natural_key``) — the key a re-import updates by, and the key a file may
  not repeat;
* how the valid rows are applied (``apply``) and what the preview and result say;
* extra steps as hooks: fields of the upload form (``options``/``read_options``, e.g. A.1.1's
  default cap, the inspectors' template choice), other templates to download
  (``variants``/``template_for``), the context checked again at the confirmation
  (``check_context``, e.g. the ledger is not yet reported).

Hooks added for the users and registry kinds: the template file built for the actor
(``template_file``, e.g. the departments one may use), the kind's own annotated copy
(``annotate``, e.g. a CSV stays a CSV), what the file says beside its rows (``read`` may return
``Rows`` with ``info``, shown by ``check_notes``), values of the result shown once and never
stored (``shown_once``, e.g. the initial passwords of the accounts a users or inspectors import
opened) on the kind's own result page (``result_page``),
and large files run as a background job (``job_rows``; services/imports/background.py) with
progress (``checked``/``applied``).

Hooks added for the libraries and directories: the page the confirmation leads to (``done``,
e.g. the library it created) and a line about the context under the pages' heading
(``context_note``).

A kind module registers an instance (services.imports.registry; services.imports.kinds loads them) and gets the pages of
blueprints/imports — /imports/<name>/ (upload, with the context as query arguments),
/imports/<name>/<batch>/ (preview), …/errors, …/confirm, …/discard, /imports/<name>/template.xlsx
— with no route or template of its own (tests/blueprints/imports declares one in a test).

The shared part owns the upload checks (size, type, zip bomb, row count), storing the batch
(ImportBatch with the check's summary), the preview by row and column, the annotated error
copy, 全部导入 / 仅导入有效行, 放弃, purging stale batches (24 hours) and the audit entries
(create, export, import, delete of the import_batch).

Shared policies, the same for every kind:

* A cell holding a formula refuses its row ("含有公式"), not the whole file: the other rows
  are checked and may be imported (excel.read_table with ``formula_rows``).
* A natural key repeated within the file refuses every row that carries it, each with one
  message giving the other rows and, past five, their count (import_rows.duplicate_messages:
  "与其他47行重复（第3、7、9、12、15行等）").
* The template's own title row (and blank rows) above the header is accepted
  (import_rows.find_header_row, used by excel.read_table).
* 全部导入 imports nothing while any row has a problem; 仅导入有效行 skips them; the file is
  read and checked again at the confirmation (the registry may have changed meanwhile).
* A batch is used only by the user who uploaded it, in the same unit, while they may import.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar

from infrastructure.errors import Forbidden, Invalid
from infrastructure.excel import MAX_UPLOAD_BYTES, Row, RowErrors, check_upload, read_table, workbook_bytes
from infrastructure.import_rows import duplicate_messages
from models import ImportBatch, User
from services import import_batches
from services.templates_catalogue import Template

PREVIEW_PROBLEMS = 200


@dataclass(frozen=True)
class UploadOption:
    """A field of the upload form whose value the kind reads (``read_options``): a text field,
    or radio buttons when it has ``choices`` ((value, label) pairs, the first one checked)."""

    name: str
    label: str
    hint: str = ""
    maxlength: int = 20
    choices: tuple[tuple[str, str], ...] = ()


@dataclass
class ImportRow:
    """A data row and, once checked valid, what ``apply`` needs of it (``payload``)."""

    row: Row
    payload: Any = None

    @property
    def number(self) -> int:
        return self.row.number

    @property
    def valid(self) -> bool:
        return self.row.valid and self.payload is not None


@dataclass
class Check(import_batches.CheckedFile):
    """The dry run: every row with its problems, nothing written."""

    rows: list[ImportRow]
    errors: RowErrors = field(default_factory=RowErrors)
    info: dict[str, Any] = field(default_factory=dict)  # Rows.info of what ``read`` gave


class Rows(list[Any]):
    """What ``read`` may give instead of a plain list: the rows, and in ``info`` what the file
    says beside them (e.g. the columns found), kept in the preview's summary (JSON values)."""

    info: dict[str, Any]

    def __init__(self, rows: Sequence[Any] = (), info: dict[str, Any] | None = None) -> None:
        super().__init__(rows)
        self.info = info or {}


class ImportKind:
    """A declared import; subclass it, set the class attributes and register an instance
    (services.imports.registry.register)."""

    name: ClassVar[str]  # ImportBatch.kind and the URL segment
    title: ClassVar[str]  # the pages' heading, e.g. 导入辅助检查人员
    template: ClassVar[Template]
    max_rows: ClassVar[int] = 1000
    max_bytes: ClassVar[int] = MAX_UPLOAD_BYTES
    csv_ok: ClassVar[bool] = True
    name_column: ClassVar[str] = ""  # the column the preview's problem list shows beside the row
    key_column: ClassVar[str] = ""  # the column a duplicate key's message is put on
    key_label: ClassVar[str] = ""  # e.g. （名称和所在单位相同）
    steps: ClassVar[Sequence[str]] = ()  # lines of the upload page after the template's
    denied: ClassVar[str] = "只有上传该文件的人员可以导入"
    options: ClassVar[Sequence[UploadOption]] = ()
    variants: ClassVar[Sequence[tuple[str, str]]] = ()  # (variant, label) of other templates to download
    # hooks of the users and registry kinds (see the module docstring)
    job_rows: ClassVar[int | None] = None  # a confirmation of more rows runs as a background job
    # False for a form in its own layout (灵活报表's template, services/imports/report_fill.py):
    # one "row" per marked cell, so the shared policies on rows under a header do not concern it
    tabular: ClassVar[bool] = True
    shown_once: ClassVar[Sequence[str]] = ()  # keys of apply's result shown once, never stored

    # -- who and where
    def can_import(self, actor: User, context: dict[str, Any] | None = None) -> bool:
        return True

    def load_context(self, actor: User, args: dict[str, Any]) -> dict[str, Any]:
        """The upload's context from the request's arguments (JSON values), checked; raise
        NotFound/Forbidden/Conflict to refuse."""
        return {}

    def read_options(self, actor: User, form: dict[str, Any]) -> dict[str, Any]:
        """The upload form's ``options`` as context values (raise Invalid for a bad one)."""
        return {}

    def template_for(self, variant: str) -> Template:
        """The template a download of ``variant`` gives ("" is ``template``)."""
        return self.template

    def check_context(self, actor: User, context: dict[str, Any]) -> None:
        """Called again before the confirmation applies rows (e.g. the ledger is still open)."""

    def can_use(self, actor: User, batch: ImportBatch) -> bool:
        return (
            batch.kind == self.name
            and batch.created_by_id == actor.id
            and batch.department_id == actor.department_id
            and self.can_import(actor)
        )

    # -- rows
    def read(self, actor: User, data: bytes, context: dict[str, Any]) -> list[Row]:
        return read_table(data, self.template, csv_ok=self.csv_ok, max_rows=self.max_rows, formula_rows=True)

    def check(self, actor: User, rows: list[Row], context: dict[str, Any]) -> list[ImportRow]:
        """Check each row (``row.add_error``); give the valid ones a payload."""
        raise NotImplementedError

    def natural_key(self, item: ImportRow) -> Hashable | None:
        """The key a file may not repeat (None: no key, or a blank one)."""
        return None

    def apply(self, actor: User, batch: ImportBatch, rows: list[ImportRow], context: dict[str, Any]) -> dict[str, Any]:
        """Write the valid rows; return the result's counts (Chinese keys, e.g. 新增)."""
        raise NotImplementedError

    # -- words
    def check_extra(self, rows: list[ImportRow]) -> dict[str, Any]:
        """Figures the preview adds to its counts (e.g. create/update)."""
        return {}

    def check_note(self, check: dict[str, Any]) -> str:
        """Said after 有效 n 行, e.g. （新增 2，更新 1）."""
        return ""

    def result_text(self, result: dict[str, Any]) -> str:
        counts = "，".join(f"{k} {v}" for k, v in result.items() if isinstance(v, int))
        return f"已导入：{counts}"

    # -- the hooks of the users and registry kinds
    def template_file(self, actor: User, variant: str) -> tuple[bytes, str]:
        """The template's .xlsx bytes and download name (by default ``template_for(variant)``)."""
        chosen = self.template_for(variant)
        return workbook_bytes(chosen.workbook()), chosen.download_name

    def annotate(self, batch: ImportBatch, check: Check) -> tuple[bytes, str] | None:
        """The kind's own annotated copy and its extension (None: the shared .xlsx copy)."""
        return None

    def check_notes(self, check: dict[str, Any]) -> list[str]:
        """Lines the preview shows under its counts (e.g. the columns found)."""
        return []

    def result_page(self, result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """(template, values) of the page the confirmation shows (None: back, with a flash)."""
        return None

    def job_threshold(self) -> int | None:
        """Rows above which the confirmation runs as a background job (None: never)."""
        return self.job_rows

    def apply_units(self, rows: list[ImportRow]) -> int:
        """How many steps ``apply`` reports (``applied``) for these rows."""
        return len(rows)

    # -- where the pages lead (endpoint and its arguments; the blueprint builds the URL)
    def back(self, context: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """(label, endpoint, arguments) of the page the import belongs to."""
        raise NotImplementedError

    def template_link(self, context: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """(endpoint, arguments) of the template to download when it depends on the context
        (e.g. one report's own layout); None: /imports/<name>/template.xlsx."""
        return None

    def context_note(self, context: dict[str, Any]) -> str:
        """A line the pages show under the heading about the upload's context, e.g. the item
        whose directory the rows join ("" for none)."""
        return ""

    def done(self, context: dict[str, Any], result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(endpoint, arguments) the confirmation leads to, e.g. the library it created (by
        default the page of ``back``)."""
        _label, endpoint, args = self.back(context)
        return endpoint, args


# ------------------------------------------------------------------ the shared steps


def run_check(kind: ImportKind, actor: User, data: bytes, context: dict[str, Any]) -> Check:
    """Read and check a file (nothing written); ExcelError when the file as a whole is unusable."""
    rows = kind.read(actor, data, context)
    items = kind.check(actor, rows, context)
    groups: dict[Hashable, list[ImportRow]] = {}
    for item in items:
        key = kind.natural_key(item)
        if key is not None:
            groups.setdefault(key, []).append(item)
    for group in groups.values():
        if len(group) > 1:
            messages = duplicate_messages(i.number for i in group)
            for item in group:
                item.row.add_error(kind.key_column, messages[item.number] + kind.key_label)
    check = Check(items, info=dict(getattr(rows, "info", {})))
    check.errors.add_rows(i.row for i in items)
    return check


def summary(kind: ImportKind, check: Check, context: dict[str, Any]) -> dict[str, Any]:
    errors = check.errors.as_dict()
    return {
        **check.counts(),
        **kind.check_extra(check.valid_rows),
        **check.info,
        "context": context,
        "problems": [
            {"row": i.number, "name": (i.row.get(kind.name_column) or "") if kind.name_column else "",
             "errors": errors.get(i.number, [])}
            for i in check.invalid_rows[:PREVIEW_PROBLEMS]
        ],
    }


def context_of(batch: ImportBatch) -> dict[str, Any]:
    """The upload's context, kept in the check's summary and then in the result's."""
    stored = import_batches.batch_summary(batch)
    return (stored.get("check") or stored).get("context") or {}


def upload(kind: ImportKind, actor: User, filename: str, data: bytes,
           context: dict[str, Any]) -> tuple[ImportBatch, Check]:
    """上传: check the file and keep it (an ImportBatch) for the preview."""
    if not kind.can_import(actor, context):
        raise Forbidden("您没有导入该数据的权限")
    kind.check_context(actor, context)
    check_upload(data, filename, csv_ok=kind.csv_ok, max_bytes=kind.max_bytes, max_rows=kind.max_rows)
    check = run_check(kind, actor, data, context)
    batch = import_batches.open_batch(
        actor, kind.name, filename, data, template=kind.template.code, summary=summary(kind, check, context)
    )
    return batch, check


def annotated_copy(kind: ImportKind, actor: User, batch: ImportBatch) -> bytes:
    """The upload with an error column beside each problem row (an export, audited)."""
    import_batches.ensure_pending(batch)
    check = run_check(kind, actor, batch.content, context_of(batch))
    return import_batches.annotated(actor, batch, check.errors, sheet=kind.template.sheet)


def confirm(kind: ImportKind, actor: User, batch: ImportBatch, *, valid_only: bool) -> dict[str, Any]:
    """全部导入 (nothing while a row has a problem) or 仅导入有效行, in the caller's transaction."""
    if not kind.can_use(actor, batch):
        raise Forbidden(kind.denied)
    import_batches.ensure_pending(batch)
    context = context_of(batch)
    kind.check_context(actor, context)
    check = run_check(kind, actor, batch.content, context)
    if check.invalid_rows and not valid_only:
        raise Invalid(
            f"文件中有{len(check.invalid_rows)}行有问题，未导入任何数据：请修改后重新上传，或选择“仅导入有效行”"
        )
    if not check.valid_rows:
        raise Invalid("没有可导入的有效行，请修改文件后重新上传")
    import_batches.claim(batch)
    _checked_all(kind, check)
    result = {"文件": batch.filename, **kind.apply(actor, batch, check.valid_rows, context),
              "跳过问题行": len(check.invalid_rows)}
    stored = {k: v for k, v in result.items() if k not in kind.shown_once}
    import_batches.close_batch(actor, batch, {**stored, "context": context})
    return result


def discard(kind: ImportKind, actor: User, batch: ImportBatch) -> None:
    """放弃: drop a pending batch and its file."""
    if not kind.can_use(actor, batch):
        raise Forbidden(kind.denied)
    import_batches.discard_batch(actor, batch)


def annotated_file(kind: ImportKind, actor: User, batch: ImportBatch) -> tuple[bytes, str]:
    """The annotated copy and its extension: the kind's own (``annotate``) or the shared .xlsx
    copy (annotated_copy); an export, audited."""
    import_batches.ensure_pending(batch)
    check = run_check(kind, actor, batch.content, context_of(batch))
    own = kind.annotate(batch, check)
    if own is None:
        return import_batches.annotated(actor, batch, check.errors, sheet=kind.template.sheet), "xlsx"
    import_batches.record_export(actor, batch)
    return own


# ------------------------------------------------------------------ progress of a background job

Progress = Callable[[int, int, str], None]  # persistence.jobs.Progress: (done, total, message)


@dataclass
class Reporter:
    """A background job's progress over one confirmation: one step per row of the file while
    it is checked again, then the steps ``apply`` declares (``apply_units``)."""

    progress: Progress
    rows: int
    units: int

    def checked(self, done: int, message: str) -> None:
        self.progress(min(done, self.rows), self.rows + self.units, message)

    def applied(self, done: int, message: str) -> None:
        self.progress(self.rows + min(done, self.units), self.rows + self.units, message)


_REPORTER: ContextVar[Reporter | None] = ContextVar("import_progress", default=None)


@contextmanager
def reporting(progress: Progress, rows: int) -> Iterator[Reporter]:
    """Within this block ``checked``/``applied`` report to ``progress`` (the job's reporter)."""
    reporter = Reporter(progress, max(rows, 1), max(rows, 1))
    token = _REPORTER.set(reporter)
    try:
        reporter.checked(0, "正在校验")
        yield reporter
    finally:
        _REPORTER.reset(token)


def checked(done: int, message: str) -> None:
    """A kind's ``read``/``check`` tells how many rows it has checked (nothing outside a job)."""
    reporter = _REPORTER.get()
    if reporter is not None:
        reporter.checked(done, message)


def applied(done: int, message: str) -> None:
    """A kind's ``apply`` tells how many of its steps are done (nothing outside a job)."""
    reporter = _REPORTER.get()
    if reporter is not None:
        reporter.applied(done, message)


def _checked_all(kind: ImportKind, check: Check) -> None:
    reporter = _REPORTER.get()
    if reporter is not None:
        reporter.rows, reporter.units = max(len(check.rows), 1), max(kind.apply_units(check.valid_rows), 1)
        reporter.applied(0, f"正在写入：共 {len(check.valid_rows)} 行")
