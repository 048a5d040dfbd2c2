"""Many PDFs at once: rendered in worker processes, cached by the digest of each HTML, and
merged into one document (docs/benchmarks.md, 检查情况记录表 PDF).

Why: WeasyPrint lays out one document on one core, so a task's 200 records as one document kept
the second core idle.  Rendered one PDF per record they use every core, but each PDF then
subsets and compresses the 24 MB CJK font again, which costs about as much as laying the record
out.  So the records missing from the cache are split into chunks, one per worker at a time:
a chunk lays out each record as its own document (its own 第 X 页 共 Y 页) and writes their
pages as one PDF, with one font subset (pdf.write_combined).  Each record's place in its chunk
(chunk, first page, page count) is cached under the record's key, so a record that has not
changed is never rendered again; the task's PDF takes each record's pages from its chunk.
A single record's PDF (``render_all``) is cached on its own, whole.

The workers
    A pool of ``PDF_WORKERS`` processes (0: one per CPU), made once per process that renders
    (the job runner) and reused: each worker imports WeasyPrint and loads the shipped font once.
    They are started by a fork server that preloads WeasyPrint and nothing of the app: a worker
    gets HTML and the static folder's path, never a database connection.  A pool that breaks (a
    worker killed) is dropped and the remaining documents are rendered in this process.

The cache
    ``instance/pdf_cache/<2 hex>/<sha256>.pdf`` (a whole PDF: a record's, a chunk's, a task's)
    and ``….ref`` (a record's place in a chunk), the key being the digest of the HTML with the
    renderer's version, so a change of template, record or WeasyPrint gives a new key.  Files
    are written atomically; a read refreshes the file's time, and ``prune`` removes the least
    recently used files beyond ``PDF_CACHE_MB`` (a place whose chunk is gone is a miss).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import multiprocessing
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from infrastructure import pdf

CACHE_VERSION = "1"  # bump when the same HTML should give other bytes (e.g. write options)
Progress = Callable[[int, int], None]
CHUNK_MAX = 50  # records a chunk holds at most (a chunk of 25 costs ~10 % more a record than one of 100)
CHUNKS_PER_WORKER = 2  # chunks per worker when there are enough records (balance against the per-chunk cost)


# ------------------------------------------------------------------ the cache


def cache_root() -> Path:
    return Path(current_app.instance_path) / "pdf_cache"


def key_of(html: str) -> str:
    import weasyprint

    text = f"{CACHE_VERSION}\n{weasyprint.__version__}\n{html}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_path(root: Path, key: str, suffix: str = ".pdf") -> Path:
    return root / key[:2] / f"{key}{suffix}"


def read_cached(root: Path, key: str, suffix: str = ".pdf") -> bytes | None:
    path = cache_path(root, key, suffix)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return data


def write_cached(root: Path, key: str, data: bytes, suffix: str = ".pdf") -> None:
    """Write atomically (a temporary file renamed into place): readers never see half a file."""
    path = cache_path(root, key, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def prune(root: Path, limit_bytes: int) -> int:
    """Remove the least recently used files until the cache holds at most ``limit_bytes``;
    returns how many were removed."""
    files = []
    for path in root.glob("*/*.*"):
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


def _render_in_worker(htmls: list[str]) -> tuple[bytes, list[int]]:
    return pdf.write_combined(htmls, _WORKER_ROOT)


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


def render_all(htmls: Sequence[str], *, root: Path | None = None) -> list[bytes]:
    """The PDF of each HTML, whole, in order: from the cache, else rendered here and cached."""
    root = root or cache_root()
    out = []
    for html in htmls:
        key = key_of(html)
        data = read_cached(root, key)
        if data is None:
            data = pdf.write_deterministic(html)
            write_cached(root, key, data)
        out.append(data)
    return out


@dataclass(frozen=True)
class Place:
    """Where a record's pages are: ``count`` pages from ``first`` (0-based) of chunk ``chunk``."""

    chunk: str
    first: int
    count: int


def read_place(root: Path, key: str) -> Place | None:
    raw = read_cached(root, key, ".ref")
    if raw is None:
        return None
    chunk, first, count = raw.decode("ascii").split()
    if not cache_path(root, chunk).exists():
        return None  # the chunk was pruned: render the record again
    return Place(chunk, int(first), int(count))


def _chunks(keys: list[str], workers: int) -> list[list[str]]:
    """Chunks small enough that every worker gets several (progress, balance), large enough that
    the font's subsetting is shared by many records."""
    size = max(1, min(CHUNK_MAX, math.ceil(len(keys) / (workers * CHUNKS_PER_WORKER))))
    return [keys[i:i + size] for i in range(0, len(keys), size)]


def render_places(htmls: Sequence[str], *, workers: int | None = None, progress: Progress | None = None,
                  root: Path | None = None) -> list[Place]:
    """Each HTML's place in a cached chunk, in order; the missing ones rendered in chunks, on
    ``workers`` processes when there is more than one chunk."""
    root = root or cache_root()
    by_key = dict(zip((key_of(html) for html in htmls), htmls, strict=True))
    places = {key: place for key in by_key if (place := read_place(root, key)) is not None}
    missing = [key for key in by_key if key not in places]
    done, total = len(places), len(by_key)
    if progress:
        progress(done, total)
    workers = worker_count() if workers is None else workers
    chunks = _chunks(missing, max(workers, 1))
    results: Iterator[tuple[list[str], tuple[bytes, list[int]]]]
    if workers > 1 and len(chunks) > 1:
        results = _in_workers(chunks, by_key, workers)
    else:
        results = ((chunk, pdf.write_combined([by_key[k] for k in chunk])) for chunk in chunks)
    for chunk, (data, pages) in results:
        chunk_key = hashlib.sha256("\n".join(["chunk", *chunk]).encode("ascii")).hexdigest()
        write_cached(root, chunk_key, data)
        first = 0
        for key, count in zip(chunk, pages, strict=True):
            places[key] = Place(chunk_key, first, count)
            write_cached(root, key, f"{chunk_key} {first} {count}".encode("ascii"), ".ref")
            first += count
        done += len(chunk)
        if progress:
            progress(done, total)
    return [places[key_of(html)] for html in htmls]


def _in_workers(chunks: list[list[str]], by_key: dict[str, str],
                workers: int) -> Iterator[tuple[list[str], tuple[bytes, list[int]]]]:
    """Each chunk with its (PDF, page counts), as the workers finish them; a broken pool is
    dropped and what it did not finish is rendered here."""
    pool = _pool(workers, pdf.static_root())
    futures: dict[Future[tuple[bytes, list[int]]], list[str]] = {
        pool.submit(_render_in_worker, [by_key[k] for k in chunk]): chunk for chunk in chunks}
    finished: set[int] = set()
    try:
        for future in as_completed(futures):
            chunk = futures[future]
            yield chunk, future.result()
            finished.add(id(chunk))
    except BrokenProcessPool:
        drop_pool()
        for chunk in chunks:
            if id(chunk) not in finished:
                yield chunk, pdf.write_combined([by_key[k] for k in chunk])


def merge(root: Path, places: Sequence[Place], title: str = "") -> bytes:
    """One PDF of the places' pages in order (each record keeps its own page numbers); pages of
    one chunk share its font, copied once."""
    from pypdf import PdfReader, PdfWriter

    readers: dict[str, PdfReader] = {}
    writer = PdfWriter()
    for place in places:
        if place.chunk not in readers:
            data = read_cached(root, place.chunk)
            if data is None:
                raise FileNotFoundError(f"PDF 缓存中缺少 {place.chunk}")
            readers[place.chunk] = PdfReader(io.BytesIO(data))
        writer.append(readers[place.chunk], pages=(place.first, place.first + place.count), import_outline=False)
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
