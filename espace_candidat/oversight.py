"""The certificateur's insertion figures (STATISTIQUES_PROMOTIONS), read across centres.

Numbers certified and certified by VAE come from the dossiers themselves (``certificateur``'s
``renewal_figures``); the insertion rates from the figures each centre transmitted (seed 004 §10:
the centres « réalisent les enquêtes … et les transmettent »), the latest transmission per
centre, certification and year. Read-only, inside ``oversight_context``.
"""

from decimal import Decimal

from certificateur.oversight import oversight_context
from certificateur.selectors import renewal_figures
from espace_candidat.models import Transmission
from organisations.models import Organisation


def _rate(num: int, den: int) -> Decimal | None:
    return (Decimal(100) * num / den).quantize(Decimal("0.1")) if den else None


def insertion_figures(*, certificateur: Organisation) -> list[dict]:
    """Per certification and year: NOMBRE_CERTIFIES, NOMBRE_CERTIFIES_VAE,
    TAUX_INSERTION_GLOBAL_6MOIS, TAUX_INSERTION_METIER_2ANS (and the counts behind them)."""
    renewal = {(r["code"], r["annee"]): r for r in renewal_figures(certificateur=certificateur)}
    with oversight_context(certificateur):
        rows = list(
            Transmission.objects.filter(referentiel__certificateur=certificateur)
            .order_by("organisation_id", "referentiel__code", "annee", "-transmitted_at", "-id")
            .values(
                "organisation_id",
                "referentiel__code",
                "annee",
                "transmitted_at",
                "repondants_6m",
                "en_emploi_6m",
                "enquetes_6m",
                "repondants_2a",
                "en_emploi_metier_2a",
                "enquetes_2a",
            )
        )
    latest: dict = {}
    for r in rows:  # latest per centre, certification, year
        latest.setdefault((r["organisation_id"], r["referentiel__code"], r["annee"]), r)
    sums: dict = {}
    for (_org, code, annee), r in latest.items():
        s = sums.setdefault(
            (code, annee),
            {
                "centres": 0,
                "enquetes_6m": 0,
                "repondants_6m": 0,
                "en_emploi_6m": 0,
                "enquetes_2a": 0,
                "repondants_2a": 0,
                "en_emploi_metier_2a": 0,
            },
        )
        s["centres"] += 1
        for f in (
            "enquetes_6m",
            "repondants_6m",
            "en_emploi_6m",
            "enquetes_2a",
            "repondants_2a",
            "en_emploi_metier_2a",
        ):
            s[f] += r[f]
    out = []
    for key in sorted(set(renewal) | set(sums), key=lambda k: (k[0], -(k[1] or 0))):
        code, annee = key
        base = renewal.get(key, {})
        s = sums.get(key, {})
        out.append(
            {
                "code": code,
                "annee": annee,
                "nombre_certifies": base.get("nombre_certifies", 0),
                "nombre_certifies_vae": base.get("nombre_certifies_vae", 0),
                "centres_transmis": s.get("centres", 0),
                "enquetes_6m": s.get("enquetes_6m", 0),
                "repondants_6m": s.get("repondants_6m", 0),
                "en_emploi_6m": s.get("en_emploi_6m", 0),
                "enquetes_2a": s.get("enquetes_2a", 0),
                "repondants_2a": s.get("repondants_2a", 0),
                "en_emploi_metier_2a": s.get("en_emploi_metier_2a", 0),
                "taux_insertion_global_6mois": _rate(s.get("en_emploi_6m", 0), s.get("repondants_6m", 0)),
                "taux_insertion_metier_2ans": _rate(
                    s.get("en_emploi_metier_2a", 0), s.get("repondants_2a", 0)
                ),
            }
        )
    return out


EXPORT_COLUMNS = [
    ("code", "CODE_CERTIFICATION"),
    ("annee", "ANNEE"),
    ("nombre_certifies", "NOMBRE_CERTIFIES"),
    ("nombre_certifies_vae", "NOMBRE_CERTIFIES_VAE"),
    ("taux_insertion_global_6mois", "TAUX_INSERTION_GLOBAL_6MOIS"),
    ("taux_insertion_metier_2ans", "TAUX_INSERTION_METIER_2ANS"),
    ("centres_transmis", "CENTRES_AYANT_TRANSMIS"),
    ("repondants_6m", "REPONDANTS_6MOIS"),
    ("en_emploi_6m", "EN_EMPLOI_6MOIS"),
    ("repondants_2a", "REPONDANTS_2ANS"),
    ("en_emploi_metier_2a", "EN_EMPLOI_METIER_2ANS"),
]


def neutralise(value):
    """Numbers stay numbers; a text cell that a spreadsheet would read as a formula is prefixed
    with an apostrophe; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)):
        return value
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_rows(figures: list[dict]) -> list[list]:
    return [[h for _k, h in EXPORT_COLUMNS]] + [
        [neutralise(r[k]) for k, _h in EXPORT_COLUMNS] for r in figures
    ]


def csv_cell(value) -> str:
    """CSV for French spreadsheets (« ; » separator): decimal comma."""
    return str(value).replace(".", ",") if isinstance(value, Decimal) else str(value)


def xlsx_cell(value):
    return float(value) if isinstance(value, Decimal) else value
