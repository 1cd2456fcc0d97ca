"""Reads of the certificateur space.

Cross-centre reads (``oversight_*``, ``export_rows``, ``cdc_candidates``) run inside
``oversight_context(certificateur)``: read-only, every centre's rows about the certificateur's
référentiels and nothing else (database policy + ORM scope + explicit filter). The
certificateur's own records (CDC passages and flux) are read in its ``tenant_context``.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404
from django.utils import timezone

from candidates.models import Dossier, DossierBloc
from certificateur.models import DELAI_TRANSMISSION_CQPM_MOIS, CdcFlux, CdcPassage, VerifiableCredential
from certificateur.oversight import oversight_context, require_oversight
from core.dates import add_months, date_fr
from core.natural import natural_sorted
from documents.models import DocumentKind, IssuedDocument
from juries.models import Jury
from organisations.models import Organisation
from referentiels.models import Habilitation, Referentiel

DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_date(text: str) -> dt.date | None:
    m = DATE_RE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


@dataclass
class OversightFilters:
    """Filters shared by the dashboard, the exports and the API: centre, référentiel, period.

    The period applies to the date of the decision (délibération), or of the inscription for
    dossiers not yet deliberated.
    """

    referentiel: str = ""  # code
    centre: str = ""  # centre slug
    du: str = ""  # dd/mm/yyyy
    au: str = ""  # dd/mm/yyyy
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_params(cls, params) -> "OversightFilters":
        f = cls(
            referentiel=params.get("referentiel", "").strip()[:60],
            centre=params.get("centre", "").strip()[:60],
            du=params.get("du", "").strip(),
            au=params.get("au", "").strip(),
        )
        for name in ("du", "au"):
            if getattr(f, name) and _parse_date(getattr(f, name)) is None:
                f.errors[name] = "Date à saisir en jj/mm/aaaa."
        if not f.errors and f.date_du and f.date_au and f.date_au < f.date_du:
            f.errors["au"] = "La fin de période précède son début."
        return f

    @property
    def date_du(self) -> dt.date | None:
        return _parse_date(self.du) if self.du else None

    @property
    def date_au(self) -> dt.date | None:
        return _parse_date(self.au) if self.au else None

    def querystring(self) -> str:
        from urllib.parse import urlencode

        return urlencode(
            {
                k: v
                for k, v in (
                    ("referentiel", self.referentiel),
                    ("centre", self.centre),
                    ("du", self.du),
                    ("au", self.au),
                )
                if v
            }
        )


# --- catalogue side (national data, no context needed) ----------------------------------------


def certificateur_referentiels(*, certificateur: Organisation) -> QuerySet[Referentiel]:
    return Referentiel.objects.filter(certificateur=certificateur).order_by("code", "-version")


def certificateur_codes(*, certificateur: Organisation) -> list[str]:
    return sorted(set(certificateur_referentiels(certificateur=certificateur).values_list("code", flat=True)))


def overseen_centres(*, certificateur: Organisation) -> QuerySet[Organisation]:
    ids = Habilitation.objects.filter(certificateur=certificateur).values("centre_id")
    return Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.CENTRE).order_by("name")


def habilitations_per_code(*, certificateur: Organisation, filters: OversightFilters | None = None) -> dict:
    """{code: [{centre, date_debut, date_fin, active}]} — the centres habilitated, by certification."""
    today = timezone.localdate()
    qs = Habilitation.objects.filter(certificateur=certificateur).select_related("centre")
    if filters and filters.referentiel:
        qs = qs.filter(referentiel_code=filters.referentiel)
    if filters and filters.centre:
        qs = qs.filter(centre__slug=filters.centre)
    out: dict = defaultdict(list)
    for h in qs.order_by("referentiel_code", "centre__name"):
        out[h.referentiel_code].append(
            {
                "centre": h.centre,
                "date_debut": h.date_debut,
                "date_fin": h.date_fin,
                "active": h.is_valid_on(today),
            }
        )
    return dict(out)


# --- across centres (inside oversight_context) ------------------------------------------------

EFFECTIVE_DATE = Coalesce("date_deliberation", "date_inscription", output_field=DateField())


def oversight_dossiers(
    *, certificateur: Organisation, filters: OversightFilters | None = None
) -> QuerySet[Dossier]:
    """Every centre's dossiers on ``certificateur``'s référentiels, filtered. Needs the context."""
    require_oversight(certificateur)
    qs = Dossier.objects.filter(referentiel__certificateur=certificateur).annotate(date_effet=EFFECTIVE_DATE)
    f = filters or OversightFilters()
    if f.referentiel:
        qs = qs.filter(referentiel__code=f.referentiel)
    if f.centre:
        qs = qs.filter(organisation__slug=f.centre)
    if f.date_du:
        qs = qs.filter(date_effet__gte=f.date_du)
    if f.date_au:
        qs = qs.filter(date_effet__lte=f.date_au)
    return qs


def revoked_parchemin_q():
    """``Exists`` expression: the dossier's parchemin was revoked and no valid parchemin replaces it
    (documents carry their dossier in ``context.dossier_id``). Needs the oversight context."""
    from django.db.models import Exists, OuterRef, TextField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    from documents.models import DocumentKind, IssuedDocument

    mine = IssuedDocument.objects.filter(kind=DocumentKind.PARCHEMIN).annotate(d=KT("context__dossier_id"))
    ref = Cast(OuterRef("public_id"), TextField())
    return Exists(mine.filter(d=ref, revoked_at__isnull=False)) & ~Exists(
        mine.filter(d=ref, revoked_at__isnull=True)
    )


def superseded_q():
    """``Exists`` expression: a later attempt of this dossier has been deliberated (its decision
    is the candidate's final one: each dossier is counted once, by its final decision)."""
    from django.db.models import Exists, OuterRef

    return Exists(Dossier.objects.filter(previous_attempt=OuterRef("pk")).exclude(decision=""))


def _rate(num: int, den: int) -> float | None:
    return round(100 * num / den, 1) if den else None


def oversight_figures(*, certificateur: Organisation, filters: OversightFilters | None = None) -> dict:
    """All the dashboard's figures in a fixed number of queries (grouped aggregates).

    * ``per_code_year``: per certification and year — dossiers, decisions, success rate
      (certifiés / délibérés), number certified and of which by VAE (France compétences'
      renewal figures), centres involved;
    * ``per_status``, ``per_voie``: dossiers per état and per voie d'accès;
    * ``per_centre``: dossiers, délibérés, certifiés, success rate per centre;
    * ``per_bloc_year``: blocs acquired / blocs judged, per bloc and year (délibérés only).
    """
    grouped, blocs = _oversight_groups(certificateur, filters)
    centres = {o.pk: o for o in Organisation.objects.filter(pk__in={r["organisation_id"] for r in grouped})}
    per_code_year: dict = {}
    per_status: dict = defaultdict(int)
    per_voie: dict = defaultdict(int)
    per_centre: dict = {}
    for r in grouped:
        if r["revoque"] and r["decision"] == Dossier.Decision.CERTIFIE:
            r["decision"] = ""  # the certification was withdrawn: neither certified nor deliberated
        _code_year_add(per_code_year, r)
        per_status[r["status"]] += r["n"]
        per_voie[r["voie_acces"]] += r["n"]
        _centre_add(per_centre, centres, r)
    rows = _code_year_rows(per_code_year)
    centre_rows = sorted(per_centre.values(), key=lambda c: c["centre"].name)
    for c in centre_rows:
        c["taux"] = _rate(c["certifie"], c["delibere"])
    bloc_rows = [
        {
            "code": b["bloc__code"],
            "intitule": b["bloc__intitule"],
            "referentiel": b["dossier__referentiel__code"],
            "annee": b["annee"],
            "n": b["n"],
            "acquis": b["acquis"],
            "taux": _rate(b["acquis"], b["n"]),
        }
        for b in blocs
    ]
    return {
        "per_code_year": rows,
        "per_status": [(v, label, per_status.get(v, 0)) for v, label in Dossier.Status.choices],
        "per_voie": [(v, label, per_voie.get(v, 0)) for v, label in Dossier.VoieAcces.choices],
        "per_centre": centre_rows,
        "per_bloc_year": bloc_rows,
        "totals": {
            "dossiers": sum(per_status.values()),
            "certifies": sum(r["certifie"] for r in rows),
            "certifies_vae": sum(r["certifie_vae"] for r in rows),
            "deliberes": sum(r["deliberes"] for r in rows),
            "taux": _rate(sum(r["certifie"] for r in rows), sum(r["deliberes"] for r in rows)),
            "centres": len(per_centre),
        },
    }


def _oversight_groups(
    certificateur: Organisation, filters: OversightFilters | None
) -> tuple[list[Any], list[Any]]:
    """The grouped counts the figures are made of: dossiers by (code, year, état, decision, voie,
    centre, parchemin revoked), and deliberated blocs by (bloc, code, year)."""
    with oversight_context(certificateur):
        dossiers = oversight_dossiers(certificateur=certificateur, filters=filters)
        # Issue 13, point 7: a candidate's earlier attempt is not counted once a retake is
        # deliberated, and a dossier whose parchemin is revoked is not counted as certified.
        grouped = list(
            dossiers.annotate(annee=ExtractYear("date_effet"), revoque=revoked_parchemin_q())
            .exclude(superseded_q())
            .values(
                "referentiel__code", "annee", "status", "decision", "voie_acces", "organisation_id", "revoque"
            )
            .annotate(n=Count("id"))
            .order_by()
        )
        blocs = list(
            DossierBloc.objects.filter(dossier__in=dossiers.filter(status=Dossier.Status.DELIBERE))
            .annotate(annee=ExtractYear(Coalesce("dossier__date_deliberation", "dossier__date_inscription")))
            .values("bloc__code", "bloc__intitule", "bloc__order", "dossier__referentiel__code", "annee")
            .annotate(n=Count("id"), acquis=Count("id", filter=Q(acquis=True)))
            .order_by("dossier__referentiel__code", "bloc__order", "annee")
        )
    return grouped, blocs


def _code_year_add(per_code_year: dict, r: dict) -> None:
    """Count one group in its certification and year."""
    key = (r["referentiel__code"], r["annee"])
    row = per_code_year.setdefault(
        key,
        {
            "code": key[0],
            "annee": key[1],
            "dossiers": 0,
            "certifie": 0,
            "partiel": 0,
            "ajourne": 0,
            "certifie_vae": 0,
            "centres": set(),
            "voies": defaultdict(int),
        },
    )
    row["dossiers"] += r["n"]
    row["centres"].add(r["organisation_id"])
    row["voies"][r["voie_acces"]] += r["n"]
    if r["decision"]:
        row[r["decision"]] += r["n"]
        if r["decision"] == Dossier.Decision.CERTIFIE and r["voie_acces"] == Dossier.VoieAcces.VAE:
            row["certifie_vae"] += r["n"]


def _centre_add(per_centre: dict, centres: dict, r: dict) -> None:
    """Count one group in its centre."""
    c = per_centre.setdefault(
        r["organisation_id"],
        {"centre": centres[r["organisation_id"]], "dossiers": 0, "delibere": 0, "certifie": 0},
    )
    c["dossiers"] += r["n"]
    if r["decision"]:
        c["delibere"] += r["n"]
    if r["decision"] == Dossier.Decision.CERTIFIE:
        c["certifie"] += r["n"]


def _code_year_rows(per_code_year: dict) -> list[dict]:
    """The per-certification-and-year rows, by code then latest year first, with their rates."""
    rows = []
    for key in sorted(per_code_year, key=lambda k: (k[0], -(k[1] or 0))):
        row = per_code_year[key]
        deliberes = row["certifie"] + row["partiel"] + row["ajourne"]
        row.update(
            deliberes=deliberes,
            taux=_rate(row["certifie"], deliberes),
            nb_centres=len(row["centres"]),
            voies=dict(row["voies"]),
        )
        del row["centres"]
        rows.append(row)
    return rows


def renewal_figures(*, certificateur: Organisation, filters: OversightFilters | None = None) -> list[dict]:
    """France compétences' STATISTIQUES_PROMOTION: per certification and year, certified and by VAE."""
    figures = oversight_figures(certificateur=certificateur, filters=filters)["per_code_year"]
    return [
        {
            "code": r["code"],
            "annee": r["annee"],
            "nombre_certifies": r["certifie"],
            "nombre_certifies_vae": r["certifie_vae"],
        }
        for r in figures
        if r["deliberes"]
    ]


# --- exports ------------------------------------------------------------------------------------

# The columns of the results export, in order: (key, header, description). Documented in
# docs/certificateur-exports.md; the same keys are the API's field names.
EXPORT_COLUMNS: list[tuple[str, str, str]] = [
    ("dossier_id", "identifiant_dossier", "UUID stable du dossier (clé de rapprochement)"),
    ("centre", "centre", "nom du centre d'examen"),
    ("centre_siret", "centre_siret", "SIRET du centre (vide s'il n'est pas connu)"),
    ("certification_code", "code_certification", "code RNCP / RS / CQPM de la certification"),
    ("referentiel_version", "version_referentiel", "version du référentiel suivie"),
    ("nom_naissance", "nom_naissance", "nom de naissance du candidat"),
    ("nom_usage", "nom_usage", "nom d'usage (vide si identique)"),
    ("prenoms", "prenoms", "prénoms, séparés par des espaces"),
    ("sexe", "sexe", "M ou F"),
    ("date_naissance", "date_naissance", "jj/mm/aaaa, ou mm/aaaa, ou aaaa selon l'état civil connu"),
    ("code_insee_naissance", "code_insee_naissance", "code INSEE de la commune de naissance"),
    ("pays_naissance", "code_pays_naissance", "code pays ISO 3166 alpha-3"),
    (
        "voie_acces",
        "voie_acces",
        "modalité d'accès, énumération CDC (FORMATION_INITIALE_APPRENTISSAGE, VAE…)",
    ),
    ("tentative", "tentative", "numéro de tentative (1, puis rattrapages)"),
    ("etat", "etat_dossier", "brouillon, inscrit, en_evaluation, pret_pour_jury, delibere, abandon"),
    ("decision", "decision", "certifie, partiel, ajourne (vide avant délibération)"),
    ("date_deliberation", "date_deliberation", "jj/mm/aaaa"),
    ("blocs_acquis", "blocs_acquis", "codes des blocs acquis, séparés par « ; »"),
    ("date_inscription", "date_inscription", "jj/mm/aaaa"),
]


def export_rows(*, certificateur: Organisation, filters: OversightFilters | None = None) -> list[dict]:
    """One dict per dossier (keys = ``EXPORT_COLUMNS``), read across centres in 3 queries."""
    with oversight_context(certificateur):
        dossiers = list(
            oversight_dossiers(certificateur=certificateur, filters=filters)
            .select_related("candidate", "referentiel", "organisation")
            .order_by("organisation__name", "referentiel__code", "candidate__nom_naissance", "pk")
        )
        acquis: dict = defaultdict(list)
        for dossier_id, code in (
            DossierBloc.objects.filter(dossier__in=[d.pk for d in dossiers], acquis=True)
            .order_by("bloc__order")
            .values_list("dossier_id", "bloc__code")
        ):
            acquis[dossier_id].append(code)
    rows = []
    for d in dossiers:
        c = d.candidate
        rows.append(
            {
                "dossier_id": str(d.public_id),
                "centre": d.organisation.name,
                "centre_siret": d.organisation.siret,
                "certification_code": d.referentiel.code,
                "referentiel_version": d.referentiel.version,
                "nom_naissance": c.nom_naissance,
                "nom_usage": c.nom_usage if c.nom_usage != c.nom_naissance else "",
                "prenoms": c.prenoms,
                "sexe": c.sexe,
                "date_naissance": c.naissance_date_affichee,
                "code_insee_naissance": c.naissance_code_insee,
                "pays_naissance": c.naissance_pays_code,
                "voie_acces": d.voie_acces,
                "tentative": d.attempt,
                "etat": d.status,
                "decision": d.decision,
                "date_deliberation": date_fr(d.date_deliberation, empty=""),
                "blocs_acquis": "; ".join(natural_sorted(acquis.get(d.pk, []))),  # BC2 before BC10
                "date_inscription": date_fr(d.date_inscription, empty=""),
            }
        )
    return rows


def oversight_dossier_get(*, certificateur: Organisation, public_id) -> dict:
    """One dossier of a centre, read-only, for the certificateur (404 when not its référentiel)."""
    with oversight_context(certificateur):
        try:
            d = (
                oversight_dossiers(certificateur=certificateur)
                .select_related("candidate", "referentiel", "organisation")
                .get(public_id=public_id)
            )
        except (Dossier.DoesNotExist, ValueError, ValidationError):
            raise Http404 from None
        blocs = list(DossierBloc.objects.filter(dossier=d).select_related("bloc").order_by("bloc__order"))
    return {"dossier": d, "candidate": d.candidate, "blocs": blocs}


# --- the certificateur's own records (tenant_context of the certificateur) ----------------------


def cdc_passage_list(*, etat: str = "", referentiel: str = "") -> QuerySet[CdcPassage]:
    qs = CdcPassage.objects.select_related("centre", "flux")
    if etat:
        qs = qs.filter(etat=etat)
    if referentiel:
        qs = qs.filter(certification_code=referentiel)
    return qs.order_by("echeance", "titulaire", "pk")


def cdc_passage_counts() -> dict:
    counts = dict(CdcPassage.objects.values_list("etat").annotate(n=Count("id")).order_by())
    late = CdcPassage.objects.filter(
        etat__in=[CdcPassage.Etat.A_DECLARER, CdcPassage.Etat.REJETE], echeance__lt=timezone.localdate()
    ).count()
    return {
        "per_etat": [(v, label, counts.get(v, 0)) for v, label in CdcPassage.Etat.choices],
        "en_retard": late,
        "a_supprimer": counts.get(CdcPassage.Etat.A_SUPPRIMER, 0),
    }


def cdc_flux_list() -> QuerySet[CdcFlux]:
    return CdcFlux.objects.select_related("created_by").order_by("-created_at")


def cdc_flux_get(*, public_id) -> CdcFlux:
    try:
        return CdcFlux.objects.get(public_id=public_id)
    except (CdcFlux.DoesNotExist, ValueError):
        raise Http404 from None


def credential_list_for_certificateur(*, certificateur: Organisation) -> list[VerifiableCredential]:
    with oversight_context(certificateur):
        return list(
            VerifiableCredential.objects.filter(certificateur=certificateur)
            .select_related("organisation")
            .order_by("-issued_at")[:200]
        )


def candidate_identity_rows(*, certificateur: Organisation, dossier_ids: list) -> dict:
    """{dossier public_id: (dossier, candidate)} for the CDC flux (inside oversight_context)."""
    require_oversight(certificateur)
    return {
        d.public_id: d
        for d in Dossier.objects.filter(
            referentiel__certificateur=certificateur, public_id__in=dossier_ids
        ).select_related("candidate", "referentiel", "organisation")
    }


__all__ = [
    "EXPORT_COLUMNS",
    "OversightFilters",
    "candidate_identity_rows",
    "cdc_flux_get",
    "cdc_flux_list",
    "cdc_passage_counts",
    "cdc_passage_list",
    "certificateur_codes",
    "export_rows",
    "habilitations_per_code",
    "oversight_dossier_get",
    "oversight_figures",
    "renewal_figures",
]


# --- juries, PVs and parchemins of every centre (inside oversight_context) -----------------------


def oversight_juries(*, certificateur: Organisation, filters: OversightFilters | None = None) -> list[dict]:
    """Juries of every centre on the certificateur's référentiels, with their PV and deadline.

    The transmission deadline (CQPM: PV, composition, émargement to the UIMM within 3 months of
    the jury) is computed for every jury; ``transmission`` is true for CQPM juries, which are
    late past the deadline until their « transmis le » date is recorded.
    """

    f = filters or OversightFilters()
    with oversight_context(certificateur):
        qs = Jury.objects.filter(referentiel__certificateur=certificateur).select_related(
            "referentiel", "organisation"
        )
        if f.referentiel:
            qs = qs.filter(referentiel__code=f.referentiel)
        if f.centre:
            qs = qs.filter(organisation__slug=f.centre)
        if f.date_du:
            qs = qs.filter(date__gte=f.date_du)
        if f.date_au:
            qs = qs.filter(date__lte=f.date_au)
        juries = list(qs.annotate(nb_membres=Count("members", distinct=True)).order_by("-date", "pk"))
        pvs = {
            d.group_key: d
            for d in IssuedDocument.objects.filter(
                kind=DocumentKind.PROCES_VERBAL,
                group_key__in=[j.group_key for j in juries],
                revoked_at__isnull=True,
            )
        }
    from certificateur.bundle import jury_transmissions

    transmissions = jury_transmissions(
        certificateur=certificateur, jury_public_ids=[j.public_id for j in juries]
    )
    today = timezone.localdate()
    rows = []
    for j in juries:
        echeance = add_months(j.date, DELAI_TRANSMISSION_CQPM_MOIS)
        transmis = transmissions.get(j.public_id)
        cqpm = j.referentiel.kind == "CQPM"
        rows.append(
            {
                "jury": j,
                "pv": pvs.get(j.group_key),
                "nb_membres": j.nb_membres,
                "echeance": echeance,
                "transmission": cqpm,
                "transmis_le": transmis.transmis_le if transmis else None,
                "en_retard": cqpm and transmis is None and echeance < today,
            }
        )
    return rows


def jury_and_document_figures(
    *, certificateur: Organisation, filters: OversightFilters | None = None
) -> dict:
    """{(code, year): {juries, juries_signes, parchemins, parchemins_revoques, blocs, blocs_revoques}}."""

    f = filters or OversightFilters()
    out: dict = defaultdict(lambda: defaultdict(int))
    with oversight_context(certificateur):
        juries = Jury.objects.filter(referentiel__certificateur=certificateur)
        docs = IssuedDocument.objects.filter(
            certificateur=certificateur, kind__in=[DocumentKind.PARCHEMIN, DocumentKind.CERTIFICAT_BLOC]
        )
        if f.referentiel:
            juries = juries.filter(referentiel__code=f.referentiel)
            docs = docs.filter(context__code_certification=f.referentiel)
        if f.centre:
            juries = juries.filter(organisation__slug=f.centre)
            docs = docs.filter(organisation__slug=f.centre)
        if f.date_du:
            juries, docs = juries.filter(date__gte=f.date_du), docs.filter(issued_on__gte=f.date_du)
        if f.date_au:
            juries, docs = juries.filter(date__lte=f.date_au), docs.filter(issued_on__lte=f.date_au)
        for r in (
            juries.annotate(annee=ExtractYear("date"))
            .values("referentiel__code", "annee", "status")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row = out[(r["referentiel__code"], r["annee"])]
            row["juries"] += r["n"]
            if r["status"] == "signe":
                row["juries_signes"] += r["n"]
        for d in (
            docs.annotate(annee=ExtractYear("issued_on"))
            .values("context__code_certification", "annee", "kind")
            .annotate(n=Count("id"), revoques=Count("id", filter=Q(revoked_at__isnull=False)))
            .order_by()
        ):
            row = out[(d["context__code_certification"], d["annee"])]
            name = "parchemins" if d["kind"] == DocumentKind.PARCHEMIN else "blocs"
            row[name] += d["n"]
            row[f"{name}_revoques"] += d["revoques"]
    return {k: dict(v) for k, v in out.items()}


def oversight_pv_get(*, certificateur: Organisation, public_id):
    """A PV (issued document) of a centre's jury on one of the certificateur's référentiels, or 404."""

    if not _is_uuid(public_id):
        raise Http404
    with oversight_context(certificateur):
        doc = IssuedDocument.objects.filter(public_id=public_id, kind=DocumentKind.PROCES_VERBAL).first()
        # The policy already hides other certificateurs' PVs; the check keeps SQLite (demo) honest.
        if (
            doc is None
            or not Jury.objects.filter(
                referentiel__certificateur=certificateur, public_id=doc.group_key.removeprefix("jury:")
            ).exists()
        ):
            raise Http404
        return doc


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
