"""CDC accrochage services: passages to declare, flux production, processing report import.

Reads of the holders' identity go through ``oversight_context`` (read-only, across centres);
writes touch only the certificateur's own tables, in its ``tenant_context`` (the request's).
The pure XML work is :mod:`certificateur.cdc`.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from candidates.models import Dossier
from certificateur import cdc
from certificateur.models import DELAI_DECLARATION_MOIS, CdcCompte, CdcFlux, CdcPassage
from certificateur.oversight import oversight_context, require_oversight
from core.actors import Actor, actor_user
from core.dates import add_months
from core.errors import ApplicationError
from organisations.models import Organisation
from organisations.services import audit_record


def registrations(codes) -> dict[str, tuple[str, str]]:
    """``{code: (répertoire, numéro)}`` of the codes registered in a répertoire (RNCP or RS).

    The declaration follows the certification's registration (``Enregistrement``: filled by the
    RNCP import or by the certificateur), not the family its platform code looks like: a CQPM or
    a CQPI registered at the RNCP is declared under its RNCP number; a certification with no
    registration (an unregistered CQPM or CQPI) is not declared to the Caisse des Dépôts."""
    from referentiels.models import Enregistrement

    return {
        e.code: (e.repertoire, e.numero)
        for e in Enregistrement.objects.filter(code__in=set(codes)).only("code", "repertoire", "numero")
    }


def id_technique_for(*, certificateur: Organisation, dossier_public_id, code: str) -> str:
    # Stable parts only: a corrected identity is re-sent under the same key.
    return cdc.make_id_technique(certificateur.pk, dossier_public_id, code)


def _blank(value: str | None) -> str | None:
    return value or None


def passage_for_dossier(*, dossier: Dossier, id_technique: str) -> cdc.PassageCertification:
    """The CDC passage of a certified dossier (pure mapping; its reasons come from check_declarable)."""
    c = dossier.candidate
    return cdc.PassageCertification(
        id_technique=id_technique,
        date_debut_validite=dossier.date_deliberation,
        date_fin_validite=None,  # validité permanente
        obtention_certification=cdc.ObtentionCertification.PAR_ADMISSION,
        donnee_certifiee=True,
        modalites_inscription=cdc.ModalitesInscription(
            modalite_acces=_blank(dossier.voie_acces), date_inscription=dossier.date_inscription
        ),
        identification=cdc.Titulaire(
            nom_naissance=_blank(c.nom_naissance),
            nom_usage=_blank(c.nom_usage),
            prenom1=_blank(c.prenom1),
            prenom2=_blank(c.prenom2),
            prenom3=_blank(c.prenom3),
            annee_naissance=c.naissance_annee,
            mois_naissance=c.naissance_mois,
            jour_naissance=c.naissance_jour,
            sexe=_blank(c.sexe),
            code_insee_naissance=_blank(c.naissance_code_insee),
            libelle_commune_naissance=_blank(c.naissance_commune),
            code_pays_naissance=_blank(c.naissance_pays_code),
            libelle_pays_naissance=_blank(c.naissance_pays),
        ),
    )


@transaction.atomic
def cdc_compte_save(
    *,
    certificateur: Organisation,
    by: Actor,
    id_client: str,
    id_contrat: str,
    emetteur_id_client: str = "",
    tiers_de_confiance: bool = False,
) -> CdcCompte:
    compte = CdcCompte.objects.filter(organisation=certificateur).first() or CdcCompte(
        organisation=certificateur
    )
    compte.id_client = id_client.strip()
    compte.id_contrat = id_contrat.strip()
    compte.emetteur_id_client = emetteur_id_client.strip()
    compte.tiers_de_confiance = tiers_de_confiance
    compte.full_clean()
    compte.save()
    audit_record(actor=actor_user(by), action="cdc.compte", message=f"{compte.id_client}/{compte.id_contrat}")
    return compte


def cdc_passages_sync(*, certificateur: Organisation) -> dict:
    """Record a passage « à déclarer » for each certified holder not yet tracked.

    Only certifications registered at the RNCP or the RS are declared, under their registration
    number (:func:`registrations`: a CQPM registered at the RNCP is; one outside the répertoires
    is not). A partial validation (blocs) is not declared: the 1.1.2 schema's
    ``certification/code`` is the fiche's code (``RNCP36390``), not a bloc's. The date and name
    of a passage not yet accepted follow corrections made at the centre.
    """
    rows = _certified_rows(certificateur)
    registered = registrations(r["referentiel__code"] for r in rows)
    existing = {p.dossier_public_id: p for p in CdcPassage.objects.all()}
    counts = {"created": 0, "updated": 0, "ignored": 0, "withdrawn": 0}
    now = timezone.now()
    with transaction.atomic():
        for r in rows:
            passage = existing.get(r["public_id"])
            if r["revoque"]:
                outcome = _withdraw_revoked(passage, now)
            else:
                outcome = _track_certified(certificateur, r, registered, passage)
            if outcome:
                counts[outcome] += 1
    return counts


def _certified_rows(certificateur: Organisation) -> list[dict]:
    """The certified dossiers of the certificateur's référentiels, across centres, as values."""
    from certificateur.selectors import revoked_parchemin_q

    with oversight_context(certificateur):
        return list(
            Dossier.objects.filter(
                referentiel__certificateur=certificateur, decision=Dossier.Decision.CERTIFIE
            )
            .annotate(revoque=revoked_parchemin_q())
            .values(
                "public_id",
                "organisation_id",
                "referentiel__code",
                "date_deliberation",
                "candidate__nom_naissance",
                "candidate__prenom1",
                "revoque",
            )
        )


def _withdraw_revoked(passage: CdcPassage | None, now) -> str | None:
    """Issue 13, point 7: a revoked parchemin leaves every later file; one already declared is
    withdrawn (SUPPRESSION) in the next withdrawal file. The count it adds to, if any."""
    if passage is None:
        return "ignored"
    if passage.etat in (CdcPassage.Etat.A_DECLARER, CdcPassage.Etat.REJETE):
        passage.etat = CdcPassage.Etat.RETIRE
    elif passage.etat in (CdcPassage.Etat.DECLARE, CdcPassage.Etat.ACCEPTE):
        passage.etat = CdcPassage.Etat.A_SUPPRIMER
    else:
        return None
    passage.retire_le = now
    passage.save(update_fields=["etat", "retire_le", "updated_at"])
    return "withdrawn"


def _track_certified(
    certificateur: Organisation, r: dict, registered: dict, passage: CdcPassage | None
) -> str | None:
    """Create the passage of a certified holder, or follow a correction; the count it adds to, if any."""
    code = r["referentiel__code"]
    if code not in registered:
        return "ignored"
    type_, numero = registered[code]
    titulaire = f"{r['candidate__nom_naissance']} {r['candidate__prenom1']}".strip()
    delivrance = r["date_deliberation"] or timezone.localdate()
    if passage is None:
        CdcPassage.objects.create(
            organisation=certificateur,
            centre_id=r["organisation_id"],
            dossier_public_id=r["public_id"],
            id_technique=id_technique_for(
                certificateur=certificateur, dossier_public_id=r["public_id"], code=code
            ),
            certification_type=type_,
            certification_code=numero,
            titulaire=titulaire,
            date_delivrance=delivrance,
            echeance=add_months(delivrance, DELAI_DECLARATION_MOIS),
        )
        return "created"
    if passage.etat != CdcPassage.Etat.ACCEPTE and (passage.titulaire, passage.date_delivrance) != (
        titulaire,
        delivrance,
    ):
        passage.titulaire, passage.date_delivrance = titulaire, delivrance
        passage.echeance = add_months(delivrance, DELAI_DECLARATION_MOIS)
        passage.save(update_fields=["titulaire", "date_delivrance", "echeance", "updated_at"])
        return "updated"
    return None


@dataclass
class Candidature:
    """A tracked passage with its CDC mapping, or the reasons it cannot be declared."""

    passage: CdcPassage
    cdc_passage: cdc.PassageCertification | None
    reasons: list[str]

    @property
    def declarable(self) -> bool:
        return not self.reasons


SELECTABLE = (CdcPassage.Etat.A_DECLARER, CdcPassage.Etat.REJETE)


def cdc_candidatures(*, certificateur: Organisation, passages: list[CdcPassage]) -> list[Candidature]:
    """Map passages to CDC passages (one read across centres) and check each one."""
    dossiers = _dossiers_of(certificateur, passages, with_revocation=True)
    revoked = {k: d.revoque for k, d in dossiers.items()}
    out = []
    for p in passages:
        d = dossiers.get(p.dossier_public_id)
        if d is None or d.decision != Dossier.Decision.CERTIFIE:
            out.append(Candidature(p, None, ["Dossier introuvable ou décision retirée : ne pas déclarer"]))
            continue
        if revoked.get(d.public_id):
            out.append(Candidature(p, None, ["Parchemin révoqué : ne pas déclarer"]))
            continue
        if d.candidate.erased_at:
            out.append(
                Candidature(p, None, ["Données du titulaire effacées (RGPD) : déclaration impossible"])
            )
            continue
        mapped = passage_for_dossier(dossier=d, id_technique=p.id_technique)
        out.append(Candidature(p, mapped, cdc.check_declarable(mapped)))
    return out


def _selection(*, passage_ids=None, du: dt.date | None = None, au: dt.date | None = None):
    qs = CdcPassage.objects.filter(etat__in=SELECTABLE).select_related("centre")
    if passage_ids is not None:
        qs = qs.filter(public_id__in=list(passage_ids))
    if du:
        qs = qs.filter(date_delivrance__gte=du)
    if au:
        qs = qs.filter(date_delivrance__lte=au)
    return list(qs.order_by("certification_code", "date_delivrance", "pk"))


def cdc_flux_create(
    *, certificateur: Organisation, by: Actor, passage_ids=None, du=None, au=None
) -> tuple[CdcFlux, list[Candidature]]:
    """Build, validate against the XSD, store and mark as declared the selected passages.

    Accepted and already-declared passages are never selected; non-declarable ones are left
    out and returned with their reasons. Refuses (ApplicationError) when nothing is
    declarable, when the CDC account is not set up, or when the XSD refuses the file (each
    element and reason listed, nothing stored).
    """
    compte = _compte_required(certificateur)
    candidatures = cdc_candidatures(
        certificateur=certificateur, passages=_selection(passage_ids=passage_ids, du=du, au=au)
    )
    good = [c for c in candidatures if c.declarable]
    refused = [c for c in candidatures if not c.declarable]
    if not good:
        raise ApplicationError("Aucun passage déclarable dans cette sélection.", extra={"refused": refused})
    per_code: dict[tuple[str, str], list] = {}
    for c in good:
        per_code.setdefault((c.passage.certification_type, c.passage.certification_code), []).append(
            c.cdc_passage
        )
    flux, data = _flux_built(compte, per_code, libelle="Le fichier")
    now = timezone.now()
    ids = [c.passage.pk for c in good]
    with transaction.atomic():
        # Lock the selection and check it is still selectable: a concurrent (or double-clicked)
        # declaration that committed first has made them « déclaré », and no passage may go
        # out in two files.
        locked = list(
            CdcPassage.objects.select_for_update().filter(pk__in=ids, etat__in=SELECTABLE).order_by("pk")
        )
        if len(locked) != len(ids):
            raise ApplicationError(
                "Une partie de ces passages vient d'être déclarée par un autre envoi : "
                "rechargez la page pour voir le fichier produit."
            )
        record = CdcFlux(
            organisation=certificateur,
            id_flux=flux.id_flux,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            nb_passages=len(good),
            created_by=actor_user(by),
        )
        _store(record, data)
        for p in locked:
            p.etat, p.flux, p.declared_at, p.message = CdcPassage.Etat.DECLARE, record, now, ""
            p.nb_envois += 1
            p.save(update_fields=["etat", "flux", "declared_at", "message", "nb_envois", "updated_at"])
        audit_record(actor=actor_user(by), action="cdc.flux", obj=record, message=f"{len(good)} passage(s)")
    return record, refused


def cdc_rapport_import(*, certificateur: Organisation, by: Actor, data: bytes) -> dict:
    """Apply a CDC processing report to the passages of its flux (correlated on idTechnique).

    OK → accepté (final: never sent again, never reopened); KO → rejeté with the CDC's message,
    to correct at the centre and re-declare under the same idTechnique. Identifiers the flux
    did not contain are reported, not applied.
    """
    try:
        rapport = cdc.parse_rapport(data)
    except cdc.RapportInvalide as exc:
        raise ApplicationError(str(exc), field="fichier") from exc
    flux = CdcFlux.objects.filter(id_flux=rapport.id_flux).first()
    if flux is None:
        raise ApplicationError(f"Aucun flux déposé ne porte l'idFlux « {rapport.id_flux} ».", field="fichier")
    now = timezone.now()
    result = {"accepted": [], "rejected": [], "unknown": [], "ignored": [], "flux": flux}
    with transaction.atomic():
        passages = {
            p.id_technique: p
            for p in CdcPassage.objects.select_for_update().filter(
                Q(flux=flux) & Q(id_technique__in=[*rapport.ok, *rapport.ids_ko])
            )
        }
        for id_tech in rapport.ok:
            p = passages.get(id_tech)
            if p is None:
                result["unknown"].append(id_tech)
                continue
            p.etat, p.message, p.answered_at = CdcPassage.Etat.ACCEPTE, "", now
            p.save(update_fields=["etat", "message", "answered_at", "updated_at"])
            result["accepted"].append(p)
        for id_tech in sorted(rapport.ids_ko):
            p = passages.get(id_tech)
            if p is None:
                result["unknown"].append(id_tech)
                continue
            if p.etat == CdcPassage.Etat.ACCEPTE:
                result["ignored"].append(p)  # accepted earlier: final
                continue
            p.etat, p.answered_at = CdcPassage.Etat.REJETE, now
            p.message = " / ".join(m for m in rapport.erreurs(id_tech) if m)
            p.save(update_fields=["etat", "message", "answered_at", "updated_at"])
            result["rejected"].append(p)
        flux.rapport_imported_at = now
        flux.id_traitement = rapport.id_traitement or ""
        flux.nb_ok = CdcPassage.objects.filter(flux=flux, etat=CdcPassage.Etat.ACCEPTE).count()
        flux.nb_ko = CdcPassage.objects.filter(flux=flux, etat=CdcPassage.Etat.REJETE).count()
        flux.save(update_fields=["rapport_imported_at", "id_traitement", "nb_ok", "nb_ko"])
        audit_record(
            actor=actor_user(by),
            action="cdc.rapport",
            obj=flux,
            message=f"{len(result['accepted'])} OK, {len(result['rejected'])} KO, {len(result['unknown'])} inconnus",
        )
    return result


def cdc_suppression_create(*, certificateur: Organisation, by: Actor) -> CdcFlux:
    """The withdrawal file (XSD 1.1.5, ``action`` SUPPRESSION) of every passage already declared
    whose parchemin has since been revoked; the passages become « Retrait déclaré » and the
    declaration history shows the file. Refuses when there is nothing to withdraw."""
    compte = _compte_required(certificateur)
    passages = list(
        CdcPassage.objects.filter(etat=CdcPassage.Etat.A_SUPPRIMER).order_by("certification_code", "pk")
    )
    if not passages:
        raise ApplicationError("Aucun passage à retirer : aucun document déclaré n'a été révoqué.")
    per_code = _withdrawals_per_code(certificateur, passages)
    flux, data = _flux_built(compte, per_code, libelle="Le fichier de retrait", action="SUPPRESSION")
    with transaction.atomic():
        locked = list(
            CdcPassage.objects.select_for_update()
            .filter(pk__in=[p.pk for p in passages], etat=CdcPassage.Etat.A_SUPPRIMER)
            .order_by("pk")
        )
        if len(locked) != len(passages):
            raise ApplicationError(
                "Ces retraits viennent d'être déclarés par un autre envoi : rechargez la page."
            )
        record = CdcFlux(
            organisation=certificateur,
            id_flux=flux.id_flux,
            action=CdcFlux.Action.SUPPRESSION,
            schema_version="1.1.5",
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            nb_passages=len(locked),
            created_by=actor_user(by),
        )
        _store(record, data)
        for p in locked:
            p.etat, p.flux_suppression = CdcPassage.Etat.SUPPRIME, record
            p.save(update_fields=["etat", "flux_suppression", "updated_at"])
        audit_record(
            actor=actor_user(by),
            action="cdc.flux_suppression",
            obj=record,
            message=f"{len(locked)} retrait(s)",
        )
    return record


def _withdrawals_per_code(
    certificateur: Organisation, passages: list[CdcPassage]
) -> dict[tuple[str, str], list]:
    """The CDC passages to withdraw, per (répertoire, code); refuses when a dossier is gone."""
    dossiers = _dossiers_of(certificateur, passages)
    per_code: dict[tuple[str, str], list] = {}
    for p in passages:
        d = dossiers.get(p.dossier_public_id)
        if d is None:
            raise ApplicationError(f"Dossier du passage {p.id_technique} introuvable : retrait impossible.")
        per_code.setdefault((p.certification_type, p.certification_code), []).append(
            passage_for_dossier(dossier=d, id_technique=p.id_technique)
        )
    return per_code


def _compte_required(certificateur: Organisation) -> CdcCompte:
    compte = CdcCompte.objects.filter(organisation=certificateur).first()
    if compte is None:
        raise ApplicationError(
            "Renseignez d'abord les identifiants CDC (idClient, idContrat) du certificateur."
        )
    return compte


def _flux_built(
    compte: CdcCompte, per_code: dict[tuple[str, str], list], *, libelle: str, action: str | None = None
) -> tuple[cdc.Flux, bytes]:
    """The flux of these passages per (répertoire, code) and its XML, validated against the XSD;
    refuses with each element and reason listed (``libelle`` names the file in the message)."""
    nature = cdc.NatureDeposant.TIERS_CONFIANCE if compte.tiers_de_confiance else None
    flux = cdc.Flux(
        emetteur_id_client=compte.emetteur_id_client or compte.id_client,
        certificateur=cdc.Certificateur(id_client=compte.id_client, id_contrat=compte.id_contrat),
        certifications=[
            cdc.Certification(type=t, code=code, passages=ps, nature_deposant=nature)
            for (t, code), ps in sorted(per_code.items())
        ],
        horodatage=timezone.localtime().replace(microsecond=0),
        action=action,
    )
    try:
        data = cdc.build_flux(flux, validate=True)
    except cdc.CdcFluxError as exc:
        details = exc.reasons + [str(i) for i in exc.issues]
        raise ApplicationError(
            f"{libelle} ne passe pas le schéma CDC :\n" + "\n".join(details), extra={"issues": details}
        ) from exc
    return flux, data


def _store(record: CdcFlux, data: bytes) -> None:
    """Save the flux file under ``cdc/<certificateur>/<idFlux>.xml``, then the record."""
    record.file.save(f"cdc/{record.organisation_id}/{record.id_flux}.xml", ContentFile(data), save=False)
    record.save()


def _dossiers_of(
    certificateur: Organisation, passages: list[CdcPassage], *, with_revocation: bool = False
) -> dict:
    """The passages' dossiers with their holder, by public id (one read across centres, under oversight);
    ``with_revocation`` annotates ``revoque`` (the parchemin has been revoked)."""
    from certificateur.selectors import revoked_parchemin_q

    with oversight_context(certificateur):
        require_oversight(certificateur)
        dossiers = Dossier.objects.filter(
            referentiel__certificateur=certificateur,
            public_id__in=[p.dossier_public_id for p in passages],
        )
        if with_revocation:
            dossiers = dossiers.annotate(revoque=revoked_parchemin_q())
        return {d.public_id: d for d in dossiers.select_related("candidate")}
