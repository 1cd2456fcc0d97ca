"""Rendering foundation: parchemin PDF content, embedded fonts, renderer reuse, URL fetcher."""

from __future__ import annotations

import base64
import io
import logging
import re
import shutil
import unicodedata
from html import escape
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from documents import rendering
from documents.qr import qr_data_uri, qr_svg
from documents.rendering import (
    DEFAULT_ASSET_DIR,
    AssetURLFetcher,
    AssetURLRefused,
    Renderer,
    get_renderer,
    harfbuzz_subset_available,
)
from documents.samples import SAMPLE_PARCHEMIN, sample_parchemin_html

ASSETS = DEFAULT_ASSET_DIR


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (160, 30, 40)).save(out, format="PNG")
    return out.getvalue()


PNG_BYTES = _png()


def pdf_text(pdf: bytes) -> str:
    """All pages' text, NFKC-normalised (ligatures), whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def page_image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return get_renderer()


@pytest.fixture(scope="module")
def parchemin_pdf(renderer) -> bytes:
    return renderer.render_pdf(sample_parchemin_html(), stylesheet="parchemin")


@pytest.fixture
def asset_copy(tmp_path) -> Path:
    """A private copy of static/documents (plus an image) for tests that add files."""
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets, ignore=shutil.ignore_patterns("*.pdf", "*.png"))
    (assets / "img").mkdir(exist_ok=True)
    (assets / "img" / "logo.png").write_bytes(PNG_BYTES)
    return assets


# --- the parchemin ---------------------------------------------------------------------------


def test_parchemin_is_one_landscape_a4_page_with_every_mention(parchemin_pdf):
    assert parchemin_pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(parchemin_pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (297, 210)

    text = pdf_text(parchemin_pdf)
    s = SAMPLE_PARCHEMIN
    for expected in (
        s["certificateur"],
        s["titulaire"],
        s["intitule"],
        "Niveau 5 de la nomenclature nationale des certifications professionnelles",
        "niveau 5 du cadre européen des certifications (CEC)",
        "sous le code RNCP36390 par décision du directeur général de France compétences "
        "en date du 29/03/2022, pour une durée de 3 ans",
        "Code NSF : 324",
        "Délivré à Lyon, le 15/06/2026",
        "N° CCIF-2026-000123",
        "7K2M-QX4P-H9TD",
        "Le Président de CCI France",
        "Claire Dubois",
    ):
        assert expected in text, expected
    for forbidden in ("sous réserve", "en cours"):
        assert forbidden not in text.lower()


def test_long_names_and_intitule_still_fit_on_one_page(renderer):
    html = sample_parchemin_html(
        titulaire="Marie-Bérénice de La Rochefoucauld-Montmorency",
        intitule="Responsable de la coordination des projets de maintenance industrielle et de la "
        "performance énergétique des installations de production automatisées en environnement réglementé",
        codes_nsf="200 — Technologies industrielles fondamentales ; 227 — Énergie, génie climatique ; "
        "250 — Mécanique, électricité, électronique",
    )
    assert "parchemin--dense" in html
    pdf = renderer.render_pdf(html, stylesheet="parchemin")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "environnement réglementé" in pdf_text(pdf)


def test_fonts_are_embedded_and_subset(parchemin_pdf):
    reader = PdfReader(io.BytesIO(parchemin_pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
        names.append(str(font["/BaseFont"]))
    assert any("Libertine" in n for n in names)
    # Subset fonts are tagged ABCDEF+Name; the whole parchemin stays small.
    assert all(re.match(r"^/[A-Z]{6}\+", n) for n in names)
    assert len(parchemin_pdf) < 300_000


def test_qr_code_is_vector_not_an_image(parchemin_pdf):
    assert page_image_count(parchemin_pdf) == 0


def test_escaped_candidate_markup_is_printed_not_interpreted(renderer, caplog):
    hostile = 'Jean <img src="file:///etc/passwd"> <span style="background:url(file:///etc/passwd)">X</span>'
    with caplog.at_level(logging.WARNING):
        pdf = renderer.render_pdf(sample_parchemin_html(titulaire=hostile), stylesheet="parchemin")
    text = pdf_text(pdf)
    assert '<img src="file:///etc/passwd">' in text
    assert "root:x:0:0" not in text
    assert page_image_count(pdf) == 0
    assert not [r for r in caplog.records if "refused" in r.getMessage()]  # nothing was even fetched


def test_unescaped_markup_still_cannot_reach_outside_files(renderer, caplog):
    """The fetcher is the second line of defence: even raw markup cannot load files."""
    raw = sample_parchemin_html().replace(
        '<p class="naissance">',
        '<img src="file:///etc/passwd" alt="">'
        '<img src="../../../../../../etc/passwd" alt="">'
        '<img src="http://example.com/pixel.png" alt="">'
        '<span style="display:block;width:5mm;height:5mm;'
        'background:url(../../../../../../etc/hostname)"></span>'
        '<link rel="stylesheet" href="https://example.com/evil.css">'
        '<p class="naissance">',
    )
    with caplog.at_level(logging.WARNING, logger="documents.rendering"):
        pdf = renderer.render_pdf(raw, stylesheet="parchemin")
    refused = [r.getMessage() for r in caplog.records if r.name == "documents.rendering"]
    assert any("outside the asset directory" in m and "/etc/passwd" in m for m in refused), refused
    assert any("outside the asset directory" in m and "/etc/hostname" in m for m in refused), refused
    assert any("'http'" in m for m in refused), refused
    assert any("'https'" in m for m in refused), refused
    assert page_image_count(pdf) == 0
    assert SAMPLE_PARCHEMIN["titulaire"] in pdf_text(pdf)  # the document itself rendered


def test_strict_renderer_aborts_on_refused_resource(asset_copy):
    strict = Renderer(asset_copy, fail_on_errors=True)
    with pytest.raises(FatalURLFetchingError):
        strict.render_pdf('<p>x</p><img src="file:///etc/passwd">')
    assert strict.render_pdf('<p>x</p><img src="img/logo.png">').startswith(b"%PDF")


# --- renderer reuse --------------------------------------------------------------------------


def test_renderer_is_a_per_process_singleton_reusing_fonts_and_stylesheets(renderer):
    assert get_renderer() is renderer
    font_config = renderer.font_config
    css = renderer.stylesheet("parchemin")
    for _ in range(2):
        renderer.render_pdf(sample_parchemin_html(), stylesheet="parchemin")
    assert renderer.font_config is font_config
    assert renderer.stylesheet("parchemin") is css
    assert get_renderer() is renderer
    assert get_renderer(DEFAULT_ASSET_DIR) is renderer
    with pytest.raises(ValueError):
        get_renderer(Path(__file__).parent)


def test_renderer_is_recreated_after_fork(renderer, monkeypatch):
    monkeypatch.setattr(rendering, "_renderer", renderer)
    monkeypatch.setattr(renderer, "pid", -1)
    fresh = get_renderer()
    assert fresh is not renderer
    assert fresh.font_config is not renderer.font_config


def test_image_cache_keeps_assets_and_drops_per_document_data(asset_copy):
    r = Renderer(asset_copy)
    data_png = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()
    for i in range(3):
        pdf = r.render_pdf(f'<p>{i}</p><img src="img/logo.png"><img src="{data_png}#{i}">')
        assert page_image_count(pdf) == 2
    keys = list(r.image_cache)
    assert (asset_copy / "img" / "logo.png").as_uri() in keys
    assert not [k for k in keys if k.startswith("data:")]
    assert len(keys) <= 3  # the URL plus its cached pixel streams


def test_base_stylesheet_paginates_with_page_numbers(renderer):
    rows = "".join(
        f"<tr><td>{i:03d}</td><td>{escape('Candidat·e n° ' + str(i))}</td><td class='num'>{i % 20}/20</td></tr>"
        for i in range(120)
    )
    html = (
        '<html lang="fr"><body><h1>Procès-verbal de délibération</h1>'
        "<table><thead><tr><th>N°</th><th>Candidat</th><th class='num'>Note</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>"
    )
    pdf = renderer.render_pdf(html)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages >= 2
    text = pdf_text(pdf)
    assert f"page 1 sur {pages}" in text and f"page {pages} sur {pages}" in text
    assert "Candidat·e n° 119" in text


def test_unknown_or_malicious_stylesheet_names_are_refused(renderer):
    with pytest.raises(ValueError):
        renderer.render_pdf("<p>x</p>", stylesheet="../fonts/x")
    with pytest.raises(FileNotFoundError):
        renderer.render_pdf("<p>x</p>", stylesheet="nope")
    with pytest.raises(TypeError):
        renderer.render_pdf("<p>x</p>", cache={})


def test_harfbuzz_subset_check(monkeypatch, caplog):
    assert isinstance(harfbuzz_subset_available(), bool)
    monkeypatch.setattr(rendering, "harfbuzz_subset_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="documents.rendering"):
        assert rendering.check_harfbuzz_subset() is False
    assert "libharfbuzz-subset0" in caplog.text


# --- the fetcher on its own ------------------------------------------------------------------


@pytest.fixture
def fetcher(asset_copy) -> AssetURLFetcher:
    return AssetURLFetcher(asset_copy)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/share/x.png",
        "http://example.com/",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "gopher://example.com/",
        "javascript:alert(1)",
        "/etc/passwd",
    ],
)
def test_fetcher_refuses_everything_but_assets_and_data(fetcher, url):
    with pytest.raises(AssetURLRefused):
        fetcher.fetch(url)


def test_fetcher_refuses_traversal_and_symlinks_out(fetcher, asset_copy, tmp_path):
    base = asset_copy.as_uri()
    for url in (
        f"{base}/../../../../etc/passwd",
        f"{base}/css/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"{base}/img/missing.png",
        f"{base}/img",  # a directory
        f"{base}/img/logo.png%00.css",
    ):
        with pytest.raises(AssetURLRefused):
            fetcher.fetch(url)

    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (asset_copy / "img" / "escape.png").symlink_to(secret)
    (asset_copy / "img" / "passwd").symlink_to("/etc/passwd")
    for name in ("escape.png", "passwd"):
        with pytest.raises(AssetURLRefused, match="outside the asset directory"):
            fetcher.fetch(f"{base}/img/{name}")

    # A symlink that stays inside the asset directory is fine.
    (asset_copy / "img" / "alias.png").symlink_to(asset_copy / "img" / "logo.png")
    assert fetcher.fetch(f"{base}/img/alias.png").read() == PNG_BYTES


def test_fetcher_serves_assets_and_data_urls(fetcher, asset_copy):
    response = fetcher.fetch((asset_copy / "img" / "logo.png").as_uri())
    assert response.read() == PNG_BYTES
    assert response.content_type == "image/png"
    svg = fetcher.fetch(qr_data_uri("https://example.fr/v/1")).read()
    assert svg.startswith(b"<svg")


def test_fetcher_is_a_weasyprint_url_fetcher_without_redirects(fetcher):
    from urllib.request import HTTPRedirectHandler

    from weasyprint.urls import URLFetcher

    assert isinstance(fetcher, URLFetcher)
    assert not any(isinstance(h, HTTPRedirectHandler) for h in fetcher.handlers)
    with pytest.raises(AssetURLRefused):
        fetcher.open("http://example.com/")


# --- QR --------------------------------------------------------------------------------------


def test_qr_svg_is_inline_svg_and_escapes_nothing_dangerous():
    svg = qr_svg("https://certif.example.fr/verifier/ABC?x=1&y=<2>")
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert 'viewBox="' in svg and "width=" not in svg.split(">", 1)[0]
    assert "<title>Code QR de vérification</title>" in svg
    uri = qr_data_uri("https://certif.example.fr/verifier/ABC")
    assert uri.startswith("data:image/svg+xml")
    with pytest.raises(ValueError):
        qr_svg("")


def test_marks_print_with_a_decimal_comma_but_json_keeps_its_numbers():
    """Display text only: the engine's JSON strings ("512.5") stay as they are."""
    from decimal import Decimal

    from documents.templatetags.documents_pdf import fr_number

    assert fr_number("512.5") == "512,5"
    assert fr_number(Decimal("7.89")) == "7,89"
    assert fr_number("130.00") == "130"
    assert fr_number(75) == "75"
    assert fr_number(None) == "" and fr_number("—") == "—"
