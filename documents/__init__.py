"""Document rendering foundation: HTML → PDF (WeasyPrint), QR codes (segno), seals (pyHanko).

This package is importable without Django. Modules:

- :mod:`documents.rendering` — ``get_renderer()``, ``Renderer.render_pdf()``, the restricted
  ``AssetURLFetcher`` and ``harfbuzz_subset_available()``;
- :mod:`documents.qr` — ``qr_svg()``, ``qr_data_uri()``;
- :mod:`documents.sealing` — ``ensure_dev_signing_identity()``, ``seal_pdf()``, ``verify_seal()``.

Submodules are not imported here so that importing the package stays cheap.
"""
