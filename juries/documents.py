"""A jury's documents, requested from the documents layer once the PV is fully signed.

The documents app numbers (gap-free per certificateur and year), renders, seals, verifies and
zips; this module only says *which* documents a jury produces and with what data:

- the procès-verbal (every candidate, decision, validated blocs, motivations, signatures and
  the SHA-256 of the signed text);
- one parchemin per total certification (every mention obligatoire of a parchemin);
- one certificat de bloc per bloc newly validated in a partial certification;
- one attestation de suivi de formation for every candidate not certified.

Idempotency keys derive from the jury and dossier UUIDs: requesting twice never creates a
second document or number. Everything is requested in one Celery task after the last
signature (``juries.tasks.jury_documents_issue``), then rendered one task per document.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from candidates.models import Dossier, DossierBloc
from documents.models import DocumentKind, IssuedDocument
from documents.services import document_request, document_revoke, documents_render_batch
from documents.templatetags.documents_pdf import fr_number
from juries.models import Decision, Jury, JuryMember, ProcesVerbal, Rectification

DECISION_LABELS = dict(Dossier.Decision.choices)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def holder_name(candidate) -> str:
    nom = candidate.nom_usage or candidate.nom_naissance
    return f"{candidate.prenoms} {nom.upper()}".strip()


def _naissance(candidate) -> str:
    e = "e" if candidate.sexe == "F" else ""
    lieu = f" à {candidate.naissance_commune}" if candidate.naissance_commune else ""
    return f"né{e} le {candidate.naissance_date_affichee}{lieu}"


def _civilite(candidate) -> str:
    return "Madame" if candidate.civilite == "MME" else "Monsieur"


def _duree(ref) -> str:
    if ref.date_enregistrement and ref.date_fin_enregistrement:
        years = round((ref.date_fin_enregistrement - ref.date_enregistrement).days / 365.25)
        return f"{years} ans" if years > 1 else ""
    return ""


def _president(jury: Jury) -> JuryMember | None:
    return next((m for m in jury.members.all() if m.role == JuryMember.Role.PRESIDENT), None)


def _diplome_context(jury: Jury, candidate) -> dict:
    ref = jury.referentiel
    president = _president(jury)
    return {
        "certificateur": ref.certificateur_nom,
        "nature": "Certification professionnelle" if ref.kind in ("RNCP", "RS") else ref.get_kind_display(),
        "civilite_titulaire": _civilite(candidate),
        "naissance": _naissance(candidate),
        "intitule": ref.intitule,
        "niveau": ref.niveau_national.replace("Niveau", "").strip() if ref.niveau_national else "",
        "niveau_cec": ref.niveau_europeen.replace("Niveau", "").replace("CEC", "").strip()
        if ref.niveau_europeen
        else "",
        "repertoire": ref.kind if ref.kind in ("RNCP", "RS") else "",
        "code_certification": ref.code,
        "date_decision": _iso(ref.date_enregistrement) if ref.kind in ("RNCP", "RS") else "",
        "duree": _duree(ref) if ref.kind in ("RNCP", "RS") else "",
        "codes_nsf": ", ".join(
            f"{c.get('code', '')} {c.get('libelle', '')}".strip() if isinstance(c, dict) else str(c)
            for c in ref.codes_nsf or []
        ),
        "lieu": jury.lieu,
        "date_deliberation": _iso(jury.date),
        "signataires": [
            ["Pour le certificateur", ref.certificateur_nom],
            ["Le président du jury", president.nom_complet if president else ""],
        ],
    }


def pv_context(jury: Jury, pv: ProcesVerbal, decisions: list[Decision]) -> dict:
    from juries.services import jury_composed_by

    ref = jury.referentiel
    members = list(jury.members.all())
    signatures = list(pv.signatures.select_related("member").order_by("signed_at", "pk"))
    return {
        "reference": f"PV-{jury.date:%Y}-{str(jury.public_id)[:8].upper()}",
        "emetteur": {"nom": jury.organisation.name},
        "certificateur": ref.certificateur_nom,
        "certification": {
            "intitule": ref.intitule,
            "code": ref.code,
            "version": ref.version,
            "niveau": ref.niveau_national,
        },
        "jury": {"nom": jury.intitule, "date": _iso(jury.date), "lieu": jury.lieu},
        "membres": [
            {
                "nom": m.nom_complet,
                "role": m.get_role_display(),
                "qualite": ", ".join(
                    x
                    for x in (
                        m.structure,
                        m.metier,
                        "personnalité qualifiée" if m.personnalite_qualifiee else "",
                        m.get_college_display() if m.college else "",
                    )
                    if x
                ),
            }
            for m in members
        ],
        "composee_par": jury_composed_by(members),
        "candidats": [
            {
                "nom": f"{d.dossier.candidate.nom_naissance.upper()} {d.dossier.candidate.prenoms}",
                "dossier": str(d.dossier.public_id)[:8],
                "decision": DECISION_LABELS[d.decision],
                "decision_code": d.decision,
                "blocs_valides": d.blocs_valides,
                "resultat": f"{fr_number(d.details.get('total_points'))}/{d.details.get('total_max')}"
                if (d.details or {}).get("total_points") is not None
                else "",
                "deroge": d.is_override,
                "proposition": DECISION_LABELS[d.proposition],
                "motivation": d.motivation,
            }
            for d in decisions
        ],
        "content_hash": pv.sha256,
        "signatures": [
            {
                "nom": s.member.nom_complet,
                "role": s.member.get_role_display(),
                "signed_at": timezone.localtime(s.signed_at).isoformat(),
                "hash": s.sha256,
            }
            for s in signatures
        ],
        "observations": "Décisions prises souverainement par le jury sur proposition du moteur de règles ; "
        "chaque dérogation est motivée ci-dessus.",
        "lieu": jury.lieu,
    }


def _bloc_intitules(jury: Jury) -> dict[str, str]:
    return dict(jury.referentiel.blocs.values_list("code", "intitule"))


def _attestation_context(
    jury: Jury, decision: Decision, carried: set[str], intitules: dict[str, str]
) -> dict:
    ref, dossier, candidate = jury.referentiel, decision.dossier, decision.dossier.candidate
    president = _president(jury)
    acquis = [
        {"code": code, "intitule": intitules.get(code, ""), "date": _iso(jury.date)}
        for code in decision.blocs_valides
    ]
    resultat = (
        f"À l'issue de la délibération du jury du {jury.date:%d/%m/%Y}, la certification n'a pas été obtenue"
        + (" ; les blocs ci-dessous sont validés." if acquis else ".")
    )
    return {
        "objet": "Attestation de suivi de formation",
        "emetteur": {"nom": jury.organisation.name},
        "certificateur": ref.certificateur_nom,
        "certification": {"intitule": ref.intitule, "code": ref.code, "niveau": ref.niveau_national},
        "civilite_titulaire": _civilite(candidate),
        "naissance": _naissance(candidate),
        "formation": {
            "date_debut": _iso(dossier.date_inscription),
            "date_fin": _iso(jury.date),
            "modalite": dossier.get_voie_acces_display().lower(),
        },
        "resultat": resultat,
        "blocs_acquis": acquis,
        "competences_acquises": [],
        "lieu": jury.lieu,
        "signataire": {"qualite": "Président(e) du jury", "nom": president.nom_complet if president else ""},
    }


def jury_documents_issue(*, jury: Jury) -> int:
    """Request every document of a frozen jury (idempotent), then enqueue their rendering.

    Returns the number of rendering tasks enqueued (0 when everything is already rendered).
    """
    jury = Jury.objects.select_related("referentiel", "organisation").get(pk=jury.pk)
    if not jury.is_frozen:
        raise ValueError("Documents are issued after the last signature only.")
    ref = jury.referentiel
    pv = jury.proces_verbaux.get(kind=ProcesVerbal.Kind.INITIAL)
    decisions = list(jury.decisions.select_related("dossier__candidate").order_by("order", "pk"))
    carried_by_dossier: dict[int, set[str]] = {}
    for dossier_id, code in DossierBloc.objects.filter(
        dossier_id__in=[d.dossier_id for d in decisions], acquis_anterieur=True
    ).values_list("dossier_id", "bloc__code"):
        carried_by_dossier.setdefault(dossier_id, set()).add(code)
    intitules = _bloc_intitules(jury)
    org, certificateur, group = jury.organisation, ref.certificateur, jury.group_key
    base = f"jury:{jury.public_id}"
    document_request(
        organisation=org,
        kind=DocumentKind.PROCES_VERBAL,
        certificateur=None,
        idempotency_key=f"{base}:pv",
        group_key=group,
        title=f"Procès-verbal — {jury.intitule} du {jury.date:%d/%m/%Y}",
        context=pv_context(jury, pv, decisions),
        issued_on=jury.date,
        render=False,
    )
    for d in decisions:
        candidate = d.dossier.candidate
        key = f"{base}:dossier:{d.dossier.public_id}"
        name = holder_name(candidate)
        if d.decision == Dossier.Decision.CERTIFIE:
            document_request(
                organisation=org,
                kind=DocumentKind.PARCHEMIN,
                certificateur=certificateur,
                idempotency_key=f"{key}:parchemin",
                group_key=group,
                holder_name=name,
                title=ref.intitule,
                context=_diplome_context(jury, candidate),
                issued_on=jury.date,
                render=False,
            )
            continue
        if d.decision == Dossier.Decision.PARTIEL:
            for code in d.blocs_valides:
                if code in carried_by_dossier.get(d.dossier_id, set()):
                    continue  # certified by the earlier jury that validated it
                context = _diplome_context(jury, candidate) | {
                    "nature": "Certificat de bloc de compétences",
                    "bloc_code": code,
                    "bloc_intitule": intitules.get(code, code),
                }
                document_request(
                    organisation=org,
                    kind=DocumentKind.CERTIFICAT_BLOC,
                    certificateur=certificateur,
                    idempotency_key=f"{key}:bloc:{code}",
                    group_key=group,
                    holder_name=name,
                    title=f"Bloc {code} de la certification {ref.intitule}",
                    context=context,
                    issued_on=jury.date,
                    render=False,
                )
        document_request(
            organisation=org,
            kind=DocumentKind.ATTESTATION,
            certificateur=None,
            idempotency_key=f"{key}:attestation",
            group_key=group,
            holder_name=name,
            title="Attestation de suivi de formation",
            context=_attestation_context(jury, d, carried_by_dossier.get(d.dossier_id, set()), intitules),
            issued_on=jury.date,
            render=False,
        )
    return documents_render_batch(group_key=group, retry_failed=True)


def jury_documents_request(*, jury: Jury, by) -> None:
    """After the last signature: issue the documents in a task once the freeze is committed."""
    from juries.tasks import jury_documents_issue_task

    jury_documents_issue_task.delay_on_commit(organisation_id=jury.organisation_id, jury_id=jury.pk)


def rectification_documents_request(*, rectification: Rectification, by) -> None:
    """A signed rectification: revoke the candidate's documents of this jury, issue the corrected ones."""
    jury = Jury.objects.select_related("referentiel", "organisation").get(pk=rectification.jury_id)
    decision = rectification.decision
    prefix = f"jury:{jury.public_id}:dossier:{decision.dossier.public_id}"
    reason = f"Rectification signée du jury « {jury.intitule} » : {rectification.motif}"
    for document in IssuedDocument.objects.filter(
        idempotency_key__startswith=prefix, revoked_at__isnull=True
    ):
        document_revoke(document=document, by=by, reason=reason)
    candidate, ref = decision.dossier.candidate, jury.referentiel
    key, name = f"jury:{jury.public_id}:rectification:{rectification.public_id}", holder_name(candidate)
    common = {
        "organisation": jury.organisation,
        "group_key": jury.group_key,
        "holder_name": name,
        "issued_on": timezone.localdate(),
    }
    document_request(
        kind=DocumentKind.PROCES_VERBAL,
        certificateur=None,
        idempotency_key=f"{key}:pv",
        title=f"Procès-verbal rectificatif — {jury.intitule}",
        context=_rectification_pv_context(jury, rectification),
        **(common | {"holder_name": ""}),
    )
    if rectification.nouvelle_decision == Dossier.Decision.CERTIFIE:
        document_request(
            kind=DocumentKind.PARCHEMIN,
            certificateur=ref.certificateur,
            idempotency_key=f"{key}:parchemin",
            title=ref.intitule,
            context=_diplome_context(jury, candidate),
            **common,
        )
        return
    intitules = _bloc_intitules(jury)
    carried = set(
        decision.dossier.blocs_vises.filter(acquis_anterieur=True).values_list("bloc__code", flat=True)
    )
    for code in rectification.blocs_valides:
        if code in carried:
            continue
        document_request(
            kind=DocumentKind.CERTIFICAT_BLOC,
            certificateur=ref.certificateur,
            idempotency_key=f"{key}:bloc:{code}",
            title=f"Bloc {code} de la certification {ref.intitule}",
            context=_diplome_context(jury, candidate)
            | {
                "nature": "Certificat de bloc de compétences",
                "bloc_code": code,
                "bloc_intitule": intitules.get(code, code),
            },
            **common,
        )
    shadow = Decision(
        decision=rectification.nouvelle_decision,
        blocs_valides=rectification.blocs_valides,
        dossier=decision.dossier,
    )
    document_request(
        kind=DocumentKind.ATTESTATION,
        certificateur=None,
        idempotency_key=f"{key}:attestation",
        title="Attestation de suivi de formation",
        context=_attestation_context(jury, shadow, carried, intitules),
        **common,
    )


def _rectification_pv_context(jury: Jury, rect: Rectification) -> dict:
    pv = rect.proces_verbal
    d = Decision(
        dossier=rect.decision.dossier,
        decision=rect.nouvelle_decision,
        blocs_valides=rect.blocs_valides,
        proposition=rect.decision.decision,
        proposition_blocs=rect.decision.blocs_valides,
        motivation=rect.motif,
        details={},
    )
    context = pv_context(jury, pv, [d])
    context["reference"] += "-R"
    context["observations"] = f"Procès-verbal rectificatif. Motif : {rect.motif}"
    return context
