"""The 一户一档 as a PDF (A4, the record PDFs' style and embedded CJK font; docs/dossier.md).

It prints what the screen shows the same viewer: the registration, the grade only for staff,
every section with its count (a confidential section only as a note for other roles) and the
life-cycle timeline with the filters the viewer chose.  Deterministic like the record PDFs
(services/record_pdf.write_pdf): no creation date, an identifier derived from the content.
"""

from __future__ import annotations

from infrastructure import clock, pdf
from services import record_pdf
from services.dossier import Dossier, Event, TimelineFilter
from services.dossier_kinds import TIMELINE_KINDS

TITLE = "市场主体监管档案（一户一档）"


def dossier_html(dossier: Dossier, events: list[Event], flt: TimelineFilter, department: str = "") -> str:
    kinds = dict(TIMELINE_KINDS)
    filters = "、".join(p for p in (kinds.get(flt.kind, ""), department) if p)
    return pdf.render_html(
        "pdf/dossier.html", d=dossier, e=dossier.entity, events=events, filters=filters, title=TITLE,
        printed_on=clock.cn_date(dossier.today),
    )


def dossier_pdf(dossier: Dossier, events: list[Event], flt: TimelineFilter, department: str = "") -> bytes:
    return record_pdf.write_pdf(dossier_html(dossier, events, flt, department))
