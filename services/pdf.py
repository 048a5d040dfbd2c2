"""PDF documents rendered from templates/pdf/ with WeasyPrint (A4; 第 X 页 共 Y 页).

The text is set in the shipped Noto Serif CJK SC (static/fonts/, SIL OFL 1.1) unless the
machine has 仿宋 (``FangSong`` / ``仿宋_GB2312``), the face of Chinese official documents.  The
font is embedded in the PDF, so the document reads the same everywhere and its text can be
copied out.  WeasyPrint may load nothing but the app's own static files: a template that
names any other URL gets nothing (no network access, no local files outside static/).
"""

from __future__ import annotations

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


def static_fetcher(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
    """WeasyPrint's URL fetcher: the app's static files, nothing else."""
    if not url.startswith(BASE_URL):
        raise FetchRefused(f"PDF 只能引用平台自身的静态文件：{url[:100]}")
    root = Path(current_app.static_folder or "").resolve()
    relative = unquote(urlsplit(url).path[len(urlsplit(BASE_URL).path):])
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise FetchRefused(f"PDF 引用的静态文件不存在：{relative[:100]}")
    mime = {".otf": "font/otf", ".ttf": "font/ttf", ".css": "text/css", ".png": "image/png"}.get(path.suffix)
    return {"string": path.read_bytes(), "mime_type": mime, "redirected_url": url}


def _fetcher() -> Any:
    """``static_fetcher`` in the form the installed WeasyPrint takes: from version 66 a fetcher
    is a ``URLFetcher`` whose ``fetch`` returns a ``URLFetcherResponse`` (a plain function's dict
    is refused, and the shipped font silently not loaded); before, the function itself."""
    try:
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except ImportError:  # WeasyPrint < 66
        return static_fetcher

    class StaticFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            found = static_fetcher(url)
            return URLFetcherResponse(url, found["string"], {"Content-Type": found["mime_type"] or ""})

    return StaticFetcher()


def render_html(template: str, **context: Any) -> str:
    """The template alone, without the request's globals (a PDF can be made by the CLI or a job)."""
    return current_app.jinja_env.get_template(template).render(
        font_file=FONT_FILE, font_family=FONT_FAMILY, font_stack=FONT_STACK, **context
    )


def render(template: str, **context: Any) -> bytes:
    """The PDF of ``templates/<template>`` rendered with ``context``."""
    from weasyprint import HTML

    html = render_html(template, **context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf()
