"""HTML → PDF rendering with WeasyPrint 70, safe by default and cheap per document.

One :class:`Renderer` per process (``get_renderer()``) keeps a single ``FontConfiguration``,
the parsed stylesheets and an image cache; memory stays flat across thousands of documents
(a fresh font configuration per ``write_pdf()`` grows ~220 KiB per document on WeasyPrint 70).

Every resource WeasyPrint wants to load (``<img>``, CSS ``url()``, ``@font-face``, ``@import``,
SVG ``<image>``) goes through :class:`AssetURLFetcher`, which allows only ``data:`` URLs and
regular files inside one asset directory (default ``<project>/static/documents/``). Everything
else — other files, ``..`` or symlink escapes, ``http(s)``, ``ftp`` — is refused; WeasyPrint
then logs the failure and renders the document without that resource. Callers must still
escape candidate-supplied text (Django templates do); the fetcher is the second line of defence.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import logging
import mimetypes
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

#: ``<project>/static/documents`` — fonts in ``fonts/``, stylesheets in ``css/``, images in ``img/``.
DEFAULT_ASSET_DIR = Path(__file__).resolve().parent.parent / "static" / "documents"

#: Environment variable read by :func:`get_renderer` when no asset directory is passed.
ASSET_DIR_ENV = "DOCUMENTS_ASSET_DIR"

#: Stylesheet always applied first: the ``@font-face`` rules of the embedded fonts.
FONTS_STYLESHEET = "fonts"

_STYLESHEET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9.+-]*):")
_RENDER_OPTIONS_RESERVED = frozenset({"stylesheets", "cache", "font_config", "target"})


class AssetURLRefused(ValueError):
    """A document tried to load a resource outside ``data:`` and the asset directory."""


class AssetURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher restricted to ``data:`` URLs and files under ``asset_dir``.

    Redirects are off and no network handler is ever reached: ``fetch`` decides before
    delegating, and serves files itself after resolving symlinks. Refusals raise
    :class:`AssetURLRefused`; WeasyPrint turns that into a logged ``URLFetchingError`` and
    goes on without the resource, unless ``fail_on_errors=True`` makes it fatal.
    """

    def __init__(self, asset_dir: str | os.PathLike[str], *, fail_on_errors: bool = False, **kwargs):
        kwargs.setdefault("timeout", 5)
        super().__init__(
            allowed_protocols=("data", "file"),
            allow_redirects=False,
            fail_on_errors=fail_on_errors,
            **kwargs,
        )
        self.asset_dir = Path(asset_dir).resolve(strict=True)
        if not self.asset_dir.is_dir():
            raise NotADirectoryError(self.asset_dir)

    # WeasyPrint calls the fetcher (``__call__``) → ``fetch``; ``open`` is urllib's entry
    # point, used by redirect handlers: route it through the same gate.
    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        self._request = None
        match = _SCHEME.match(url or "")
        scheme = match[1].lower() if match else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.resolve_file_url(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )
        self._refuse(url, f"scheme {scheme or '(none)'!r} is not allowed")

    def resolve_file_url(self, url: str) -> Path:
        """Return the real path of a ``file:`` URL inside the asset directory, or refuse it."""
        parts = urlsplit(url.split("?", 1)[0].split("#", 1)[0])
        if parts.netloc not in ("", "localhost"):
            self._refuse(url, "remote file host")
        raw = unquote(parts.path)
        if "\x00" in raw:
            self._refuse(url, "NUL byte in path")
        candidate = Path(raw)
        if not candidate.is_absolute() or ".." in candidate.parts:
            self._refuse(url, "relative path or '..' segment")
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            self._refuse(url, "no such asset")
        if not real.is_relative_to(self.asset_dir):
            self._refuse(url, "outside the asset directory")
        if not real.is_file():
            self._refuse(url, "not a regular file")
        return real

    def _refuse(self, url: str, reason: str) -> NoReturn:
        shown = url if len(url) < 200 else url[:200] + "…"
        logger.warning("Document resource refused (%s): %s", reason, shown)
        raise AssetURLRefused(f"{reason}: {shown}")


def harfbuzz_subset_available() -> bool:
    """True when WeasyPrint can subset fonts in C with libharfbuzz-subset (>= 4.1).

    Without it WeasyPrint falls back to fontTools, ~3.4× slower per parchemin (measured
    244 ms vs 72 ms). Debian package: ``libharfbuzz-subset0``.
    """
    try:
        from weasyprint.text import ffi as weasy_ffi
    except Exception:  # pragma: no cover - WeasyPrint's own libraries missing
        return ctypes.util.find_library("harfbuzz-subset") is not None
    if getattr(weasy_ffi, "harfbuzz_subset", None) is None:
        return False
    return bool(weasy_ffi.harfbuzz.hb_version_atleast(4, 1, 0))


def check_harfbuzz_subset() -> bool:
    """Log a loud warning when libharfbuzz-subset is missing; return availability."""
    available = harfbuzz_subset_available()
    if not available:
        logger.warning(
            "libharfbuzz-subset (>= 4.1) is not available: WeasyPrint will subset fonts with "
            "fontTools, about 3x slower per document. Install the Debian package "
            "'libharfbuzz-subset0'."
        )
    return available


class _ImageCache(dict):
    """WeasyPrint's ``cache`` option (must be a ``dict``), pruned after each document.

    Entries for asset files (keyed by their ``file:`` URL, plus the pixel data WeasyPrint
    stores under ``md5(url)-slot-dpi``) are kept across documents; everything else (``data:``
    images, refused URLs) is dropped so per-document content cannot accumulate.
    """

    def prune(self) -> None:
        keep_hashes = {
            hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()
            for key, value in self.items()
            if isinstance(key, str) and key.startswith("file:") and value is not None
        }
        for key in list(self):
            if isinstance(key, str):
                if key.startswith("file:") and self[key] is not None:
                    continue
                if key.split("-", 1)[0] in keep_hashes:
                    continue
            del self[key]


class Renderer:
    """Per-process renderer: one font configuration, parsed stylesheets, an image cache.

    Renders are serialised by a lock (Pango font maps are not thread-safe); parallelise
    across processes (one Celery task per document, concurrency = cores).
    """

    def __init__(
        self, asset_dir: str | os.PathLike[str] = DEFAULT_ASSET_DIR, *, fail_on_errors: bool = False
    ):
        self.url_fetcher = AssetURLFetcher(asset_dir, fail_on_errors=fail_on_errors)
        self.asset_dir = self.url_fetcher.asset_dir
        self.base_url = self.asset_dir.as_uri() + "/"
        self.font_config = FontConfiguration()
        self.image_cache = _ImageCache()
        self.harfbuzz_subset = check_harfbuzz_subset()
        self._stylesheets: dict[str, CSS] = {}
        self._lock = threading.RLock()
        self.pid = os.getpid()

    def stylesheet(self, name: str) -> CSS:
        """The parsed ``css/<name>.css`` of the asset directory (parsed once)."""
        with self._lock:
            css = self._stylesheets.get(name)
            if css is None:
                if not _STYLESHEET_NAME.match(name):
                    raise ValueError(f"invalid stylesheet name: {name!r}")
                path = self.asset_dir / "css" / f"{name}.css"
                if not path.is_file():
                    raise FileNotFoundError(f"no stylesheet {name!r} in {path.parent}")
                css = CSS(
                    filename=str(path),
                    url_fetcher=self.url_fetcher,
                    font_config=self.font_config,
                )
                self._stylesheets[name] = css
            return css

    def render_pdf(self, html: str, *, stylesheet: str | Sequence[str] = "base", **pdf_options) -> bytes:
        """Render an HTML string to PDF bytes.

        ``stylesheet`` names one or more files of ``css/`` (without ``.css``), applied after
        ``fonts.css``. Relative URLs in ``html`` resolve against the asset directory
        (``img/logo.svg``). ``pdf_options`` are WeasyPrint rendering options
        (``pdf_variant``, ``pdf_identifier``, ``pdf_tags``…).
        """
        names = [stylesheet] if isinstance(stylesheet, str) else list(stylesheet)
        reserved = _RENDER_OPTIONS_RESERVED.intersection(pdf_options)
        if reserved:
            raise TypeError(f"render_pdf() does not accept {sorted(reserved)}")
        with self._lock:
            sheets = [self.stylesheet(FONTS_STYLESHEET), *(self.stylesheet(n) for n in names)]
            document = HTML(string=html, base_url=self.base_url, url_fetcher=self.url_fetcher)
            try:
                return document.write_pdf(
                    stylesheets=sheets,
                    font_config=self.font_config,
                    cache=self.image_cache,
                    **pdf_options,
                )
            finally:
                self.image_cache.prune()


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer(asset_dir: str | os.PathLike[str] | None = None) -> Renderer:
    """The process-wide :class:`Renderer`, created on first use (and again after a fork).

    The asset directory is ``asset_dir``, else ``$DOCUMENTS_ASSET_DIR``, else
    :data:`DEFAULT_ASSET_DIR`. Asking for a different directory once created is an error.
    """
    global _renderer
    with _renderer_lock:
        wanted = asset_dir or os.environ.get(ASSET_DIR_ENV) or DEFAULT_ASSET_DIR
        wanted_path = Path(wanted).resolve()
        current = _renderer
        if current is not None and current.pid == os.getpid():
            if asset_dir is not None and wanted_path != current.asset_dir:
                raise ValueError(f"renderer already uses {current.asset_dir}, cannot switch to {wanted_path}")
            return current
        _renderer = Renderer(wanted_path)
        return _renderer


def render_pdf(html: str, *, stylesheet: str | Sequence[str] = "base", **pdf_options) -> bytes:
    """Shortcut for ``get_renderer().render_pdf(...)``."""
    return get_renderer().render_pdf(html, stylesheet=stylesheet, **pdf_options)
