"""QR codes for verification links (segno), as inline SVG or a ``data:`` URI."""

from __future__ import annotations

import segno

#: Error correction "M" (15 %) survives a stamp or a fold without making the code dense.
ERROR_CORRECTION = "m"
QR_TITLE = "Code QR de vérification"


def _make(url: str) -> segno.QRCode:
    if not url:
        raise ValueError("empty URL")
    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)


def qr_svg(url: str, *, title: str = QR_TITLE, css_class: str = "qr") -> str:
    """An ``<svg>`` element (no XML declaration, no fixed size, ``viewBox`` kept, 4-module
    quiet zone) to place inline in HTML; size it with CSS (``.qr { width: 30mm }``)."""
    return _make(url).svg_inline(omitsize=True, title=title, svgclass=css_class, lineclass=None, dark="#000")


def qr_data_uri(url: str, *, title: str = QR_TITLE) -> str:
    """The same SVG as a ``data:image/svg+xml`` URI, for ``<img src=…>``."""
    return _make(url).svg_data_uri(omitsize=True, title=title, lineclass=None, dark="#000")
