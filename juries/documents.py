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
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from candidates.models import Dossier, DossierBloc
from core.actors import Actor
from core.dispatch import enqueue_on_commit
from core.natural import natural_key, natural_sorted
from core.numbers import number_fr
from documents.models import DocumentKind, IssuedDocument, RevocationCategory, RevocationRequest
from documents.services import document_request, document_revoke, documents_render_batch
from juries.models import Decision, Jury, JuryMember, ProcesVerbal, Rectification


def partial_allowed(referentiel) -> bool:
    from juries.services import partial_allowed as allowed

    return allowed(referentiel)


DECISION_LABELS = dict(Dossier.Decision.choices)


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def holder_name(candidate) -> str:
    nom = candidate.nom_usage or candidate.nom_naissance
    return f"{candidate.prenoms} {nom.upper()}".strip()


def _naissance(candidate) -> str:
    """« née le 14/03/1998 à Ajaccio », « née en mars 1998 », « né en 1990 » (the civilité's wording)."""
    from candidates.models import naissance_mention

    return naissance_mention(candidate)


def _civilite(candidate) -> str:
    return "Madame" if candidate.civilite == "MME" else "Monsieur"


def _president(jury: Jury) -> JuryMember | None:
    return next((m for m in jury.members.all() if m.role == JuryMember.Role.PRESIDENT), None)


# What the document certifies, in words (never the platform's short kind label).
NATURE = {
    "CQPM": "Certificat de qualification paritaire de la métallurgie",
    "CQPI": "Certificat de qualification professionnelle interbranches",
    "CQP": "Certificat de qualification professionnelle",
}


def _issuer_city(organisation) -> str:
    """« Délivré à » / « Fait à »: the issuing body's own city, never a jury room."""
    return (organisation.ville or "").strip()


def _registration_context(ref) -> dict:
    """The registration mentions (formats/README.md) from the code's ``Enregistrement``; all
    empty when the certification is not registered (a CQPM, a CQPI): no sentence is printed."""
    from referentiels.selectors import enregistrement_of

    e = enregistrement_of(ref.code)
    if e is None:
        return {
            "enregistrement": "",
            "numero_enregistrement": "",
            "niveau": "",
            "niveau_cec": "",
            "codes_nsf": "",
        }
    return {
        "enregistrement": e.phrase(),
        "numero_enregistrement": e.numero,
        "repertoire": e.repertoire,
        "niveau": str(e.niveau) if e.niveau else "",
        "niveau_cec": str(e.niveau_cec) if e.niveau_cec else "",
        "codes_nsf": e.nsf_text(),
    }


def signataires_of(jury: Jury, kind: str, fallback: list[list[str]]) -> list[list[str]]:
    """The signatories printed on ``kind`` (issue 13, point 1): the certificateur's data (title and
    name, the centre's own signatory named by the centre) when it configured them, else
    ``fallback`` (the documents' historical signatories, where the seeds say nothing)."""
    from documents.issuance import rule_resolve, signatories_print

    ref = jury.referentiel
    cache = jury.__dict__.setdefault("_issuance_cache", {})
    resolved = rule_resolve(certificateur_id=ref.certificateur_id, code=ref.code, kind=kind, cache=cache)
    pairs, _missing = signatories_print(resolved)
    return pairs or fallback


def _issuing_organisation(jury: Jury, kind: str):
    """The body that issues ``kind`` of this jury now (its city is « Délivré à »)."""
    from documents.issuance import rule_resolve

    ref = jury.referentiel
    cache = jury.__dict__.setdefault("_issuance_cache", {})
    resolved = rule_resolve(certificateur_id=ref.certificateur_id, code=ref.code, kind=kind, cache=cache)
    return ref.certificateur if resolved.by_certificateur else jury.organisation


def _diplome_context(jury: Jury, candidate, kind: str = DocumentKind.PARCHEMIN) -> dict:
    ref = jury.referentiel
    president = _president(jury)
    registration = _registration_context(ref)
    return {
        "certificateur": ref.certificateur_nom,
        "nature": NATURE.get(ref.kind, "Certification professionnelle"),
        "civilite_titulaire": _civilite(candidate),
        "naissance": _naissance(candidate),
        "intitule": ref.intitule,
        # The platform's code, kept for statistics and credentials; never printed.
        "code_certification": ref.code,
        **registration,
        "lieu": _issuer_city(_issuing_organisation(jury, kind)) or _issuer_city(jury.organisation),
        "date_deliberation": _iso(jury.date),
        "signataires": signataires_of(
            jury,
            kind,
            [
                ["Pour le certificateur", ref.certificateur_nom],
                ["Le président du jury", president.nom_complet if president else ""],
            ],
        ),
    }


def _decision_label(value: str, candidate) -> str:
    """« Certifiée », « Ajournée » for a candidate whose civilité is Madame."""
    label = DECISION_LABELS[value]
    if candidate.civilite == "MME" and value in ("certifie", "ajourne"):
        return label + "e"
    return label


def _acquis_pv(jury: Jury, d: Decision, intitules: dict[str, str], partial: bool) -> list[str]:
    """What the PV lists as validated for a candidate (code and intitulé): the blocs where the
    règle validates blocs, the capacités otherwise (a CQPM)."""
    if partial:
        return [f"{code} — {intitules.get(code, '')}".strip(" —") for code in natural_sorted(d.blocs_valides)]
    return [f"{c['code']} — {c['intitule']}" for c in _capacites_acquises(jury, d)]


def pv_context(
    jury: Jury, pv: ProcesVerbal, decisions: list[Decision], numbers: dict[int, list[str]] | None = None
) -> dict:
    """The PV document (issue 13, point 9): per candidate the name, birth, decision, what was
    validated (code and intitulé), the numbers of the documents issued; no internal id, no
    empty column, nothing about software."""
    from juries.services import jury_composed_by, member_qualite, partial_allowed

    ref = jury.referentiel
    members = list(jury.members.all())
    signatures = list(pv.signatures.select_related("member").order_by("signed_at", "pk"))
    registration = _registration_context(ref)
    intitules = _bloc_intitules(jury)
    partial = partial_allowed(ref)
    numbers = numbers or {}
    candidats = [_pv_candidat(jury, d, intitules, partial, numbers.get(d.dossier_id, [])) for d in decisions]
    any_override = any(c["deroge"] for c in candidats)
    return {
        "emetteur": {"nom": jury.organisation.name},
        "certificateur": ref.certificateur_nom,
        "certification": {
            "intitule": ref.intitule,
            "code": registration["numero_enregistrement"],
            "version": ref.version,
            "niveau": registration["niveau"],
        },
        "jury": {"nom": jury.intitule, "date": _iso(jury.date), "lieu": jury.lieu},
        "membres": [
            {"nom": m.nom_complet, "role": m.get_role_display(), "qualite": member_qualite(m)}
            for m in members
        ],
        "composee_par": jury_composed_by(members),
        "candidats": candidats,
        "colonnes": {
            "acquis": any(c["acquis"] for c in candidats),
            "acquis_titre": "Blocs validés" if partial else "Capacités acquises",
            "resultat": any(c["resultat"] for c in candidats),
            "motivation": any(c["motivation"] for c in candidats),
            "documents": any(c["documents"] for c in candidats),
        },
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
        "observations": "Décisions prises souverainement par le jury au vu des résultats des épreuves "
        "et de la règle d'obtention du référentiel"
        + (
            " ; chaque décision qui s'écarte de la proposition est motivée ci-dessus."
            if any_override
            else "."
        ),
        "lieu": _issuer_city(jury.organisation) or jury.lieu,
    }


def _pv_candidat(
    jury: Jury, d: Decision, intitules: dict[str, str], partial: bool, numbers: list[str]
) -> dict:
    """One candidate's line of the PV."""
    candidate = d.dossier.candidate
    return {
        "nom": f"{candidate.nom_naissance.upper()} {candidate.prenoms}",
        "naissance": _naissance(candidate),
        "decision": _decision_label(d.decision, candidate),
        "decision_code": d.decision,
        "acquis": _acquis_pv(jury, d, intitules, partial),
        "documents": numbers,
        "resultat": f"{number_fr(d.details.get('total_points'))}/{d.details.get('total_max')}"
        if (d.details or {}).get("total_points") is not None
        else "",
        "deroge": d.is_override,
        "proposition": DECISION_LABELS[d.proposition] if d.proposition else "",
        "motivation": d.motivation,
    }


def _bloc_intitules(jury: Jury) -> dict[str, str]:
    return dict(jury.referentiel.blocs.values_list("code", "intitule"))


def _capacites_acquises(jury: Jury, decision: Decision) -> list[dict]:
    """The capacités a candidate acquired (a CQPM's attestation lists these, never a bloc):
    every capacité of the référentiel the engine did not report as not acquired."""
    non_acquises = {
        code
        for b in (decision.details or {}).get("blocs") or []
        for code in b.get("capacites_non_acquises") or []
    }
    if not (decision.details or {}).get("blocs"):
        return []  # no evaluation detail: nothing is claimed
    capacites = jury.__dict__.get("_capacites_cache")
    if capacites is None:  # read once per jury, not once per candidate
        capacites = jury.__dict__["_capacites_cache"] = list(
            jury.referentiel.capacites.select_related("bloc")
        )
    # the référentiel's order, then codes naturally (capacité 9 before 10) where it declares none
    ordered = sorted(capacites, key=lambda c: (c.bloc.order, c.order, natural_key(c.code)))
    return [{"code": c.code, "intitule": c.intitule} for c in ordered if c.code not in non_acquises]


def _attestation_context(
    jury: Jury, decision: Decision, carried: set[str], intitules: dict[str, str]
) -> dict:
    ref, dossier, candidate = jury.referentiel, decision.dossier, decision.dossier.candidate
    president = _president(jury)
    registration = _registration_context(ref)
    by_bloc = partial_allowed(ref)
    # The attestation never contradicts the decision: blocs only where the règle validates
    # blocs separately, capacités otherwise (a CQPM: « l'ensemble des capacités … doit être acquis »).
    acquis = (
        [
            {"code": code, "intitule": intitules.get(code, ""), "date": _iso(jury.date)}
            for code in natural_sorted(decision.blocs_valides)
        ]
        if by_bloc and decision.decision != Dossier.Decision.CERTIFIE
        else []
    )
    capacites = [] if by_bloc else _capacites_acquises(jury, decision)
    if decision.decision == Dossier.Decision.CERTIFIE:
        resultat = (
            f"À l'issue de la délibération du jury du {jury.date:%d/%m/%Y}, la certification a été obtenue."
        )
    elif acquis:
        resultat = (
            f"À l'issue de la délibération du jury du {jury.date:%d/%m/%Y}, la certification n'a pas été "
            "obtenue ; les blocs de compétences ci-dessous sont validés."
        )
    elif capacites:
        resultat = (
            f"À l'issue de la délibération du jury du {jury.date:%d/%m/%Y}, la certification n'a pas été "
            "obtenue ; les capacités professionnelles ci-dessous sont acquises."
        )
    else:
        resultat = f"À l'issue de la délibération du jury du {jury.date:%d/%m/%Y}, la certification n'a pas été obtenue."
    return {
        "objet": "Attestation de suivi de formation",
        "emetteur": {"nom": jury.organisation.name},
        "certificateur": ref.certificateur_nom,
        "certification": {
            "intitule": ref.intitule,
            "code": registration["numero_enregistrement"],
            "niveau": registration["niveau"],
        },
        "civilite_titulaire": _civilite(candidate),
        "naissance": _naissance(candidate),
        "formation": {
            "date_debut": _iso(dossier.date_inscription),
            "date_fin": _iso(jury.date),
            "modalite": dossier.get_voie_acces_display().lower(),
        },
        "resultat": resultat,
        "blocs_acquis": acquis,
        "competences_acquises": capacites,
        "lieu": _issuer_city(jury.organisation),
        "signataire": _attestation_signataire(jury, president),
    }


def _attestation_signataire(jury: Jury, president: JuryMember | None) -> dict:
    pairs = signataires_of(jury, DocumentKind.ATTESTATION, [])
    if pairs:
        return {"qualite": pairs[0][0], "nom": pairs[0][1]}
    return {"qualite": "Président(e) du jury", "nom": president.nom_complet if president else ""}


def kinds_issued_by(jury: Jury, issuer: str) -> set[str]:
    """The document kinds of ``jury`` that ``issuer`` (centre | certificateur) issues, from the
    certificateur's rules (issue 13, point 1). The PV is always the centre's."""
    from documents.issuance import issuer_of
    from documents.models import ISSUANCE_KINDS

    ref = jury.referentiel
    cache = jury.__dict__.setdefault("_issuance_cache", {})
    return {
        str(kind)
        for kind in ISSUANCE_KINDS
        if issuer_of(certificateur_id=ref.certificateur_id, code=ref.code, kind=kind, cache=cache) == issuer
    }


@dataclass(frozen=True)
class _Issuance:
    """What every document of one jury's issuance shares."""

    jury: Jury
    kinds: set[str]
    signed_on: dt.date
    intitules: dict[str, str]
    real_blocs: set[str]
    carried: dict[int, set[str]]


def jury_documents_issue(*, jury: Jury, issuer: str = "centre") -> int:
    """Request the documents of a frozen jury that ``issuer`` issues (idempotent), then enqueue
    their rendering: at the last signature the centre's (the PV, and the parchemins, certificats
    de bloc and attestations unless the certificateur issues them); once the certificateur
    reviewed the transmitted PV, the certificateur's.

    Returns the number of rendering tasks enqueued (0 when everything is already rendered).
    """
    jury = Jury.objects.select_related("referentiel", "organisation").get(pk=jury.pk)
    if not jury.is_frozen:
        raise ValueError("Documents are issued after the last signature only.")
    kinds = kinds_issued_by(jury, issuer)
    pv = jury.proces_verbaux.get(kind=ProcesVerbal.Kind.INITIAL)
    decisions = list(jury.decisions.select_related("dossier__candidate").order_by("order", "pk"))
    batch = _Issuance(
        jury=jury,
        kinds=kinds,
        signed_on=_issued_on(pv, issuer),
        carried=_carried_blocs(decisions),
        intitules=_bloc_intitules(jury),
        real_blocs=_real_blocs(jury.referentiel),
    )
    numbers: dict[int, list[str]] = {}
    for d in decisions:
        given = _dossier_documents_request(batch, d)
        if given:
            numbers.setdefault(d.dossier_id, []).extend(given)
    if issuer == "centre":
        _pv_document_request(batch, pv, decisions, numbers)
    return documents_render_batch(group_key=jury.group_key, retry_failed=True)


def _issued_on(pv: ProcesVerbal, issuer: str) -> dt.date:
    """Time is truth (issue 13, point 4): the PV is dated by its last signature, the documents by
    their issuance (right after it), never by the jury's planned date."""
    if issuer == "certificateur":  # issued when the certificateur issues them, after its review
        return timezone.localdate()
    return timezone.localtime(pv.completed_at).date() if pv.completed_at else timezone.localdate()


def _carried_blocs(decisions: list[Decision]) -> dict[int, set[str]]:
    """Per dossier, the blocs it brought already validated (certified by an earlier jury)."""
    carried: dict[int, set[str]] = {}
    for dossier_id, code in DossierBloc.objects.filter(
        dossier_id__in=[d.dossier_id for d in decisions], acquis_anterieur=True
    ).values_list("dossier_id", "bloc__code"):
        carried.setdefault(dossier_id, set()).add(code)
    return carried


def _real_blocs(ref) -> set[str]:
    """The référentiel's blocs de compétences (an implicit bloc is not one: no certificate)."""
    return {b.code for b in ref.blocs.all() if not b.implicite}


def _new_blocs(blocs_valides: list[str], real_blocs: set[str], carried: set[str]) -> list[str]:
    """The blocs this decision certifies: real blocs, not certified by an earlier jury."""
    return [code for code in natural_sorted(blocs_valides) if code in real_blocs and code not in carried]


def _dossier_documents_request(batch: _Issuance, d: Decision) -> list[str]:
    """A candidate's documents, not rendered yet: the parchemin if certified, else the certificats
    of the newly validated blocs and the attestation. Returns the numbers given."""
    jury, kinds = batch.jury, batch.kinds
    candidate = d.dossier.candidate
    key = f"jury:{jury.public_id}:dossier:{d.dossier.public_id}"
    docs: list[IssuedDocument] = []
    if d.decision == Dossier.Decision.CERTIFIE:
        if DocumentKind.PARCHEMIN in kinds:
            docs.append(_parchemin_request(jury, d.dossier, key=key, issued_on=batch.signed_on, render=False))
        return [doc.number for doc in docs if doc.number]
    if (
        d.decision == Dossier.Decision.PARTIEL
        and partial_allowed(jury.referentiel)
        and DocumentKind.CERTIFICAT_BLOC in kinds
    ):
        carried = batch.carried.get(d.dossier_id, set())
        for code in _new_blocs(d.blocs_valides, batch.real_blocs, carried):
            docs.append(
                _bloc_certificate_request(
                    jury,
                    candidate,
                    code,
                    batch.intitules,
                    key=key,
                    issued_on=batch.signed_on,
                    render=False,
                    extra={"dossier_id": str(d.dossier.public_id)},
                )
            )
    if DocumentKind.ATTESTATION in kinds:
        document_request(
            organisation=jury.organisation,
            kind=DocumentKind.ATTESTATION,
            certificateur=None,
            idempotency_key=f"{key}:attestation",
            group_key=jury.group_key,
            holder_name=holder_name(candidate),
            title="Attestation de suivi de formation",
            context=_attestation_context(jury, d, batch.carried.get(d.dossier_id, set()), batch.intitules),
            issued_on=batch.signed_on,
            render=False,
        )
    return [doc.number for doc in docs if doc.number]


def _parchemin_request(
    jury: Jury, dossier: Dossier, *, key: str, issued_on: dt.date, render: bool
) -> IssuedDocument:
    ref, candidate = jury.referentiel, dossier.candidate
    return document_request(
        organisation=jury.organisation,
        kind=DocumentKind.PARCHEMIN,
        certificateur=ref.certificateur,
        idempotency_key=f"{key}:parchemin",
        group_key=jury.group_key,
        holder_name=holder_name(candidate),
        title=ref.intitule,
        context=_diplome_context(jury, candidate) | {"dossier_id": str(dossier.public_id)},
        issued_on=issued_on,
        render=render,
        issued_by=_issuing_organisation(jury, DocumentKind.PARCHEMIN),
    )


def _bloc_certificate_request(
    jury: Jury,
    candidate,
    code: str,
    intitules: dict[str, str],
    *,
    key: str,
    issued_on: dt.date,
    render: bool,
    extra: dict,
) -> IssuedDocument:
    ref = jury.referentiel
    return document_request(
        organisation=jury.organisation,
        kind=DocumentKind.CERTIFICAT_BLOC,
        certificateur=ref.certificateur,
        idempotency_key=f"{key}:bloc:{code}",
        group_key=jury.group_key,
        holder_name=holder_name(candidate),
        title=f"Bloc {code} de la certification {ref.intitule}",
        context=_diplome_context(jury, candidate, DocumentKind.CERTIFICAT_BLOC)
        | extra
        | {
            "nature": "Certificat de bloc de compétences",
            "bloc_code": code,
            "bloc_intitule": intitules.get(code, code),
        },
        issued_on=issued_on,
        render=render,
        issued_by=_issuing_organisation(jury, DocumentKind.CERTIFICAT_BLOC),
    )


def _pv_document_request(
    batch: _Issuance, pv: ProcesVerbal, decisions: list[Decision], numbers: dict[int, list[str]]
) -> None:
    jury = batch.jury
    context = pv_context(jury, pv, decisions, numbers)
    if kinds_issued_by(jury, "certificateur"):
        context["transmission"] = (
            f"Procès-verbal transmis à {jury.referentiel.certificateur_nom} pour émission des parchemins "
            "du titre ou des blocs validés."
        )
    document_request(
        organisation=jury.organisation,
        kind=DocumentKind.PROCES_VERBAL,
        certificateur=None,
        idempotency_key=f"jury:{jury.public_id}:pv",
        group_key=jury.group_key,
        title=f"Procès-verbal — {jury.intitule} du {jury.date:%d/%m/%Y}",
        context=context,
        issued_on=batch.signed_on,
        render=False,
    )


def jury_documents_request(*, jury: Jury, by: Actor) -> None:
    """After the last signature: issue the documents in a task once the freeze is committed."""
    enqueue_on_commit(
        "juries.tasks.jury_documents_issue_task", organisation_id=jury.organisation_id, jury_id=jury.pk
    )


def _rectification_live_documents(jury: Jury, rectification: Rectification) -> list[IssuedDocument]:
    """The candidate's documents of this jury still in force: from the deliberation and from any
    earlier rectification of the same decision (never a PV: it is the record)."""
    decision = rectification.decision
    earlier = Rectification.objects.filter(decision=decision, applied_at__isnull=False).exclude(
        pk=rectification.pk
    )
    query = Q(idempotency_key__startswith=f"jury:{jury.public_id}:dossier:{decision.dossier.public_id}:")
    for public_id in earlier.values_list("public_id", flat=True):
        query |= Q(idempotency_key__startswith=f"jury:{jury.public_id}:rectification:{public_id}:")
    return list(
        IssuedDocument.objects.filter(query, revoked_at__isnull=True)
        .exclude(kind=DocumentKind.PROCES_VERBAL)
        .select_related("issued_by")
        .order_by("pk")
    )


def _rectification_reason(jury: Jury, rectification: Rectification) -> str:
    return f"Rectification signée du jury « {jury.intitule} » : {rectification.motif}"


def rectification_basis(jury: Jury, rectification: Rectification) -> str:
    return f"jury:{jury.public_id}:rectification:{rectification.public_id}"


def rectification_documents_request(*, rectification: Rectification, by: Actor) -> None:
    """A signed rectification: its PV rectificatif is issued; the candidate's documents of this
    jury are revoked and the corrected ones issued. A document its certificateur issued is not
    revoked by the centre (issue 13, point 5): the rectification becomes the basis of a
    revocation request that the certificateur's staff approve; once every one is approved
    (:func:`rectification_basis_approved`), the rest is revoked and the documents issued again."""
    from documents.approvals import issuer_certificateur, revocation_request_create

    jury = Jury.objects.select_related("referentiel", "organisation").get(pk=rectification.jury_id)
    document_request(
        organisation=jury.organisation,
        kind=DocumentKind.PROCES_VERBAL,
        certificateur=None,
        idempotency_key=f"jury:{jury.public_id}:rectification:{rectification.public_id}:pv",
        group_key=jury.group_key,
        title=f"Procès-verbal rectificatif — {jury.intitule}",
        context=_rectification_pv_context(jury, rectification),
        issued_on=timezone.localdate(),
    )
    held = [d for d in _rectification_live_documents(jury, rectification) if issuer_certificateur(d)]
    if not held:
        _rectification_documents_issue(jury, rectification, by=by)
        return
    basis = rectification_basis(jury, rectification)
    for document in held:
        pending = RevocationRequest.objects.filter(document=document, status=RevocationRequest.Status.PENDING)
        if pending.exists():  # the centre had asked already: the rectification is now its basis
            pending.update(basis=basis)
            continue
        revocation_request_create(
            document=document,
            by=by,
            reason=_rectification_reason(jury, rectification),
            category=RevocationCategory.RECTIFICATION,
            basis=basis,
        )


def rectification_basis_approved(*, basis: str, by: Actor) -> None:
    """The certificateur approved every revocation a rectification asked for: revoke the
    candidate's other documents of the jury and issue the corrected ones."""
    match = re.fullmatch(r"jury:([0-9a-f-]{36}):rectification:([0-9a-f-]{36})", basis)
    if match is None:
        return
    rectification = (
        Rectification.objects.select_related("decision__dossier__candidate", "jury")
        .filter(public_id=match.group(2), jury__public_id=match.group(1), applied_at__isnull=False)
        .first()
    )
    if rectification is not None:
        jury = Jury.objects.select_related("referentiel", "organisation").get(pk=rectification.jury_id)
        _rectification_documents_issue(jury, rectification, by=by)


def _rectification_documents_issue(jury: Jury, rectification: Rectification, *, by: Actor) -> None:
    decision = rectification.decision
    reason = _rectification_reason(jury, rectification)
    for document in _rectification_live_documents(jury, rectification):
        document_revoke(document=document, by=by, reason=reason, category=RevocationCategory.RECTIFICATION)
    candidate, ref = decision.dossier.candidate, jury.referentiel
    key, name = f"jury:{jury.public_id}:rectification:{rectification.public_id}", holder_name(candidate)
    issued_on = timezone.localdate()
    if rectification.nouvelle_decision == Dossier.Decision.CERTIFIE:
        _parchemin_request(jury, decision.dossier, key=key, issued_on=issued_on, render=True)
        return
    intitules = _bloc_intitules(jury)
    carried = set(
        decision.dossier.blocs_vises.filter(acquis_anterieur=True).values_list("bloc__code", flat=True)
    )
    real_blocs = _real_blocs(ref)
    for code in _new_blocs(rectification.blocs_valides, real_blocs, carried) if partial_allowed(ref) else ():
        _bloc_certificate_request(
            jury, candidate, code, intitules, key=key, issued_on=issued_on, render=True, extra={}
        )
    shadow = Decision(
        decision=rectification.nouvelle_decision,
        blocs_valides=rectification.blocs_valides,
        dossier=decision.dossier,
    )
    document_request(
        organisation=jury.organisation,
        kind=DocumentKind.ATTESTATION,
        certificateur=None,
        idempotency_key=f"{key}:attestation",
        group_key=jury.group_key,
        holder_name=name,
        title="Attestation de suivi de formation",
        context=_attestation_context(jury, shadow, carried, intitules),
        issued_on=issued_on,
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
    context["observations"] = f"Procès-verbal rectificatif. Motif : {rect.motif}"
    return context


# --- re-issue: the document derived again (issue 13, point 5) -----------------------------------

_KEY = re.compile(
    r"^jury:(?P<jury>[0-9a-f-]{36}):(?:dossier:(?P<dossier>[0-9a-f-]{36})|rectification:(?P<rect>[0-9a-f-]{36}))"
    r":(?:parchemin|bloc:(?P<bloc>.+))$"
)


def document_derivable(document: IssuedDocument) -> bool:
    """Whether ``document`` comes from a signed deliberation (a jury's parchemin or certificat de bloc)."""
    return bool(_KEY.match(document.idempotency_key or ""))


def document_candidate(document: IssuedDocument):
    """The candidate a jury document was issued to (``None`` for another document)."""
    match = _KEY.match(document.idempotency_key or "")
    if match is None:
        return None
    if match["dossier"]:
        dossier = Dossier.objects.select_related("candidate").filter(public_id=match["dossier"]).first()
    else:
        rect = (
            Rectification.objects.select_related("decision__dossier__candidate")
            .filter(public_id=match["rect"])
            .first()
        )
        dossier = rect.decision.dossier if rect else None
    return dossier.candidate if dossier else None


def document_context_derive(document: IssuedDocument, identity: dict) -> tuple[str, str, dict]:
    """``(holder_name, title, context)`` of ``document`` derived again from its jury (the
    référentiel version, the signed decision) and its holder's identity corrected by ``identity``
    (civil-status fields only). Nothing is taken from the document's stored content; the
    candidate's record is corrected too, so later documents carry the same civil status."""
    import copy

    from candidates.models import Candidate
    from documents.models import IDENTITY_FIELDS

    match = _KEY.match(document.idempotency_key or "")
    if match is None:
        raise ValueError("not a jury document")
    jury = Jury.objects.select_related("referentiel", "organisation").get(public_id=match["jury"])
    if match["dossier"]:
        dossier = Dossier.objects.select_related("candidate").get(public_id=match["dossier"])
    else:
        rect = Rectification.objects.select_related("decision__dossier__candidate").get(
            public_id=match["rect"]
        )
        dossier = rect.decision.dossier
    fields = {k: v for k, v in identity.items() if k in IDENTITY_FIELDS}
    Candidate.objects.filter(pk=dossier.candidate_id).update(**fields)
    candidate = copy.copy(dossier.candidate)
    for key, value in fields.items():
        setattr(candidate, key, value if value is not None else getattr(candidate, key))
    ref = jury.referentiel
    kind = DocumentKind.CERTIFICAT_BLOC if match["bloc"] else DocumentKind.PARCHEMIN
    context = _diplome_context(jury, candidate, kind) | {"dossier_id": str(dossier.public_id)}
    title = ref.intitule
    if match["bloc"]:
        code = match["bloc"]
        context |= {
            "nature": "Certificat de bloc de compétences",
            "bloc_code": code,
            "bloc_intitule": _bloc_intitules(jury).get(code, code),
        }
        title = f"Bloc {code} de la certification {ref.intitule}"
    # Who issued it and signed it is history, not the rule of today: the body stored at issue time.
    stored = document.context or {}
    if document.issued_by_id is not None:
        context["lieu"] = _issuer_city(document.issued_by) or context["lieu"]
    if stored.get("signataires"):
        context["signataires"] = stored["signataires"]
    return holder_name(candidate), title, context
