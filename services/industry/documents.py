"""The PDFs of 一业一评 and 一业一册 (A4, the record PDFs' style and embedded CJK font).

Deterministic like the record PDFs (services/record_pdf.write_pdf): no creation date, an
identifier derived from the content, so the same data prints the same bytes.
"""

from __future__ import annotations

from infrastructure import clock, pdf
from services import record_pdf
from services.industry.evaluation import Evaluation
from services.industry.handbook import RESULT_TYPES, Handbook


def evaluation_html(ev: Evaluation) -> str:
    return pdf.render_html("pdf/industry_evaluation.html", ev=ev, title=ev.title,
                           printed_on=clock.cn_date(clock.china_today()))


def evaluation_pdf(ev: Evaluation) -> bytes:
    return record_pdf.write_pdf(evaluation_html(ev))


def handbook_html(hb: Handbook) -> str:
    return pdf.render_html("pdf/industry_handbook.html", hb=hb, title=hb.title, result_types=RESULT_TYPES,
                           printed_on=clock.cn_date(clock.china_today()))


def handbook_pdf(hb: Handbook) -> bytes:
    return record_pdf.write_pdf(handbook_html(hb))


def filename(kind: str, ev_or_hb: Evaluation | Handbook) -> str:
    key = ev_or_hb.key
    return f"{key.year}年度{key.industry_name}{kind}.pdf"
