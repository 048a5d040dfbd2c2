"""Many PDFs at once: each rendered from its own HTML in worker processes, cached by the
digest of that HTML, and merged into one document (docs/benchmarks.md, 检查情况记录表 PDF).

Why: WeasyPrint lays out one document on one core.  A task's 200 records as one document kept
the second core idle; as 200 documents they render on every core, and a record that has not
changed is never rendered again (the same HTML gives the same bytes: pdf.write_deterministic).

The workers
    A pool of ``PDF_WORKERS`` processes (0: one per CPU), made once per process that renders
    (the job runner) and reused: each worker imports WeasyPrint and loads the shipped font once.
    They are started by a fork server that preloads WeasyPrint and nothing of the app: a worker
    gets HTML and the static folder's path, never a database connection.  A pool that breaks (a
    worker killed) is dropped and the remaining documents are rendered in this process.

The cache
    ``instance/pdf_cache/<2 hex>/<sha256>.pdf``, the key being the digest of the HTML with the
    renderer's version, so a change of template, record or WeasyPrint gives a new key.  Files
    are written atomically; a read refreshes the file's time, and ``prune`` removes the least
    recently used files beyond ``PDF_CACHE_MB``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from flask import current_app

from services import pdf

CACHE_VERSION = "1"  # bump when the same HTML should give other bytes (e.g. write options)
Progress = Callable[[int, int], None]


# ------------------------------------------------------------------ the cache


def cache_root() -> Path:
    return Path(current_app.instance_path) / "pdf_cache"


def key_of(html: str) -> str:
    import weasyprint

    text = f"{CACHE_VERSION}\n{weasyprint.__version__}\n{html}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_path(root: Path, key: str) -> Path:
    return root / key[:2] / f"{key}.pdf"


def read_cached(root: Path, key: str) -> bytes | None:
    path = cache_path(root, key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return data


def write_cached(root: Path, key: str, data: bytes) -> None:
    """Write atomically (a temporary file renamed into place): readers never see half a file."""
    path = cache_path(root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def prune(root: Path, limit_bytes: int) -> int:
    """Remove the least recently used files until the cache holds at most ``limit_bytes``;
    returns how many were removed."""
    files = []
    for path in root.glob("*/*.pdf"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    removed = 0
    for _, size, path in sorted(files):
        if total <= limit_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed


# ------------------------------------------------------------------ the workers

_POOL: ProcessPoolExecutor | None = None
_POOL_KEY: tuple[int, str] | None = None
_WORKER_ROOT: Path | None = None
WARM_HTML = (
    f"<style>@font-face {{ font-family: '{pdf.FONT_FAMILY}'; src: url({pdf.BASE_URL}{pdf.FONT_FILE}); }}"
    f" body {{ font-family: '{pdf.FONT_FAMILY}'; }}</style><p>检查情况记录表</p>"
)


def _init_worker(static_root: str) -> None:
    """In each worker: remember the static folder and load the shipped font once."""
    global _WORKER_ROOT
    _WORKER_ROOT = Path(static_root)
    pdf.write_deterministic(WARM_HTML, _WORKER_ROOT)


def _render_in_worker(html: str) -> bytes:
    return pdf.write_deterministic(html, _WORKER_ROOT)


def worker_count() -> int:
    configured = int(current_app.config.get("PDF_WORKERS") or 0)
    return configured if configured > 0 else (os.cpu_count() or 1)


def _pool(workers: int, static_root: Path) -> ProcessPoolExecutor:
    global _POOL, _POOL_KEY
    key = (workers, str(static_root))
    if _POOL is None or key != _POOL_KEY:
        drop_pool()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["weasyprint"])
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                    initializer=_init_worker, initargs=(str(static_root),))
        _POOL_KEY = key
    return _POOL


def drop_pool() -> None:
    global _POOL, _POOL_KEY
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
    _POOL, _POOL_KEY = None, None


# ------------------------------------------------------------------ render and merge


def render_all(htmls: Sequence[str], *, workers: int | None = None, progress: Progress | None = None,
               root: Path | None = None) -> list[bytes]:
    """The PDF of each HTML, in order: from the cache, else rendered (in parallel when more
    than one is missing and ``workers`` > 1) and cached."""
    root = root or cache_root()
    keys = [key_of(html) for html in htmls]
    found: dict[str, bytes] = {}
    for key in dict.fromkeys(keys):
        data = read_cached(root, key)
        if data is not None:
            found[key] = data
    missing = {key: html for key, html in zip(keys, htmls, strict=True) if key not in found}
    total, done = len(set(keys)), len(found)
    if progress:
        progress(done, total)
    workers = worker_count() if workers is None else workers
    if workers > 1 and len(missing) > 1:
        done = _render_parallel(missing, found, root, workers, done, total, progress)
    for key, html in missing.items():
        if key not in found:
            found[key] = pdf.write_deterministic(html)
            write_cached(root, key, found[key])
            done += 1
            if progress:
                progress(done, total)
    return [found[key] for key in keys]


def _render_parallel(missing: dict[str, str], found: dict[str, bytes], root: Path, workers: int,
                     done: int, total: int, progress: Progress | None) -> int:
    pool = _pool(workers, pdf.static_root())
    futures: dict[Future[bytes], str] = {pool.submit(_render_in_worker, html): key for key, html in missing.items()}
    try:
        for future in as_completed(futures):
            key = futures[future]
            found[key] = future.result()
            write_cached(root, key, found[key])
            done += 1
            if progress:
                progress(done, total)
    except BrokenProcessPool:
        drop_pool()  # the rest is rendered in this process by the caller
    return done


def merge(parts: Sequence[bytes], title: str = "") -> bytes:
    """One PDF of ``parts`` in order (each keeps its own pages and page numbers)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
