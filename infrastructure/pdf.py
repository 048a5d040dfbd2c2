"""PDF documents rendered from templates/pdf/ with WeasyPrint (A4; 第 X 页 共 Y 页).

The text is set in the shipped Noto Serif CJK SC (static/fonts/, SIL OFL 1.1) unless the
machine has 仿宋 (``FangSong`` / ``仿宋_GB2312``), the face of Chinese official documents.  The
font is embedded in the PDF, so the document reads the same everywhere and its text can be
copied out.  WeasyPrint may load nothing but the app's own static files: a template that
names any other URL gets nothing (no network access, no local files outside static/).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app

BASE_URL = "https://zhjg.invalid/static/"
FONT_FILE = "fonts/NotoSerifCJKsc-Regular.otf"
FONT_FAMILY = "ZHJG Noto Serif CJK SC"
FONT_STACK = f'"FangSong", "仿宋_GB2312", "{FONT_FAMILY}", serif'


class FetchRefused(ValueError):
    pass


def static_root() -> Path:
    return Path(current_app.static_folder or "").resolve()


def static_fetcher(url: str, timeout: int = 10, ssl_context: Any = None, *, root: Path | None = None) -> dict[str, Any]:
    """WeasyPrint's URL fetcher: the app's static files (``root``, default the app's), nothing else."""
    if not url.startswith(BASE_URL):
        raise FetchRefused(f"PDF 只能引用平台自身的静态文件：{url[:100]}")
    root = root or static_root()
    relative = unquote(urlsplit(url).path[len(urlsplit(BASE_URL).path):])
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise FetchRefused(f"PDF 引用的静态文件不存在：{relative[:100]}")
    mime = {".otf": "font/otf", ".ttf": "font/ttf", ".css": "text/css", ".png": "image/png"}.get(path.suffix)
    return {"string": path.read_bytes(), "mime_type": mime, "redirected_url": url}


class StaticFetcher:
    """The fetcher object WeasyPrint (≥ 66) calls: ``static_fetcher`` wrapped in its response type.

    A plain function returning a dict is no longer understood, and the @font-face of the shipped
    font silently fell back to whatever CJK font the host had installed.
    """

    _fail_on_errors = False  # read by weasyprint.urls.fetch: a refused URL is a warning, not a crash

    def __init__(self, root: Path | None = None) -> None:
        self.root = root  # None: the current app's static folder (a worker process has no app)

    def __call__(self, url: str) -> Any:
        from weasyprint.urls import URLFetcherResponse

        resource = static_fetcher(url, root=self.root)
        headers = {"Content-Type": resource["mime_type"]} if resource["mime_type"] else {}
        return URLFetcherResponse(resource["redirected_url"], resource["string"], headers)

    fetch = __call__


_local = threading.local()


def font_config() -> Any:
    """This thread's WeasyPrint font configuration, made once and reused.

    The first @font-face of the shipped font (24 MB) is fetched, written to a temporary file and
    scanned by fontconfig; a reused configuration skips all that (WeasyPrint keys its fonts by
    the rule) and keeps Pango's caches warm.  One per thread: Pango's font map is not shared
    across threads.
    """
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


def render_html(template: str, **context: Any) -> str:
    """The template alone, without the request's globals (a PDF can be made by the CLI or a job)."""
    return current_app.jinja_env.get_template(template).render(
        font_file=FONT_FILE, font_family=FONT_FAMILY, font_stack=FONT_STACK, **context
    )


def render(template: str, **context: Any) -> bytes:
    """The PDF of ``templates/<template>`` rendered with ``context``."""
    return write_html(render_html(template, **context))


def write_html(html: str) -> bytes:
    """The PDF of an HTML page made by ``render_html`` (fonts and static files from the app)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFetcher()).write_pdf(font_config=font_config())  # type: ignore[no-any-return]


def write_deterministic(html: str, root: Path | None = None) -> bytes:
    """``html`` as a PDF with fixed metadata (no dates, an identifier derived from the HTML):
    the same HTML gives the same bytes.  ``root``: the static folder, for a process without an app."""
    import hashlib

    from weasyprint import HTML

    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFetcher(root)).render(font_config=font_config())
    document.metadata.created = None
    document.metadata.modified = None
    return document.write_pdf(pdf_identifier=identifier)  # type: ignore[no-any-return]


def write_combined(htmls: list[str], root: Path | None = None) -> tuple[bytes, list[int]]:
    """Several HTML documents as one PDF: each laid out on its own (its own 第 X 页 共 Y 页), their
    pages written together, so the font is subset and compressed once for all of them.  Returns
    the PDF and each document's page count; the same HTML gives the same bytes."""
    import hashlib

    from weasyprint import HTML

    fetcher = StaticFetcher(root)
    documents = [HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(font_config=font_config())
                 for html in htmls]
    combined = documents[0].copy([page for document in documents for page in document.pages])
    combined.metadata.created = None
    combined.metadata.modified = None
    digest = hashlib.sha256("\x00".join(htmls).encode("utf-8")).hexdigest()[:32].encode("ascii")
    return combined.write_pdf(pdf_identifier=digest), [len(document.pages) for document in documents]
