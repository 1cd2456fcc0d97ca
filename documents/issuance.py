"""Who issues a document and who signs it (issue 13, point 1): reading the certificateur's rules.

A rule is looked up for (certificateur, certification code, kind): the override for the code
first, then the certificateur's default; without any rule the centre issues and the document
keeps its historical signatories (the seeds of the UIMM say nothing). Writing the rules is the
certificateur's (``certificateur.issuance``); a centre enters only its own signatory's name
(``juries.issuance``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from core.actors import Actor, actor_user
from core.errors import ApplicationError
from documents.models import (
    ISSUANCE_KINDS,
    CentreSignatoryName,
    DocumentKind,
    IssuanceRule,
    IssuanceSignatory,
    Issuer,
)
from organisations.services import audit_record

MAX_SIGNATORIES = 4
TITLE_MAX = 200
NAME_MAX = 200
KIND_LABELS = {k.value: k.label for k in ISSUANCE_KINDS}


@dataclass(frozen=True)
class ResolvedRule:
    issuer: str
    rule: IssuanceRule | None = None
    signatories: list[IssuanceSignatory] = field(default_factory=list)

    @property
    def by_certificateur(self) -> bool:
        return self.issuer == Issuer.CERTIFICATEUR


def _rules(certificateur_id: int, code: str) -> dict[tuple[str, str], IssuanceRule]:
    rules = IssuanceRule.objects.filter(
        certificateur_id=certificateur_id, referentiel_code__in=["", code]
    ).prefetch_related("signatories")
    return {(r.referentiel_code, r.kind): r for r in rules}


def rule_resolve(
    *, certificateur_id: int | None, code: str, kind: str, cache: dict | None = None
) -> ResolvedRule:
    """The rule that applies to ``kind`` of certification ``code`` (override, then default)."""
    if certificateur_id is None:
        return ResolvedRule(issuer=Issuer.CENTRE)
    key = (certificateur_id, code)
    if cache is not None and key in cache:
        rules = cache[key]
    else:
        rules = _rules(certificateur_id, code)
        if cache is not None:
            cache[key] = rules
    rule = rules.get((code, kind)) or rules.get(("", kind))
    if rule is None:
        return ResolvedRule(issuer=Issuer.CENTRE)
    return ResolvedRule(issuer=rule.issuer, rule=rule, signatories=list(rule.signatories.all()))


def issuer_of(*, certificateur_id: int | None, code: str, kind: str, cache: dict | None = None) -> str:
    return rule_resolve(certificateur_id=certificateur_id, code=code, kind=kind, cache=cache).issuer


def signatories_print(resolved: ResolvedRule) -> tuple[list[list[str]], list[str]]:
    """``([[qualité, nom], …], [qualités without a name])`` of a resolved rule, for the current
    centre (``tenant_context``): a centre-named signatory takes the name the centre entered."""
    if not resolved.signatories:
        return [], []
    centre_names = dict(
        CentreSignatoryName.objects.filter(
            signatory__in=[s for s in resolved.signatories if s.named_by == IssuanceSignatory.NamedBy.CENTRE]
        ).values_list("signatory_id", "name")
    )
    pairs, missing = [], []
    for s in resolved.signatories:
        name = centre_names.get(s.pk, "") if s.named_by == IssuanceSignatory.NamedBy.CENTRE else s.name
        if not name:
            missing.append(s.title)
        pairs.append([s.title, name])
    return pairs, missing


# --- writing the rules (the certificateur's, through certificateur.issuance) --------------------


@dataclass
class SignatoryInput:
    title: str
    name: str = ""
    named_by: str = IssuanceSignatory.NamedBy.CERTIFICATEUR


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def _signatories_clean(raw) -> list[SignatoryInput]:
    if raw is None:
        raw = []
    if not isinstance(raw, list | tuple):
        raise ApplicationError("Signataires : une liste est attendue.", field="signataires")
    out: list[SignatoryInput] = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ApplicationError(f"Signataire {i} : qualité et nom attendus.", field="signataires")
        title, name = (
            _clean(item.get("title") or item.get("qualite")),
            _clean(item.get("name") or item.get("nom")),
        )
        named_by = _clean(item.get("named_by") or item.get("nom_renseigne_par") or "certificateur")
        if not title and not name:
            continue  # an empty line of the form
        if not title:
            raise ApplicationError(f"Signataire {i} : indiquez sa qualité.", field="signataires")
        if len(title) > TITLE_MAX or len(name) > NAME_MAX:
            raise ApplicationError(
                f"Signataire {i} : qualité et nom de {TITLE_MAX} caractères au plus.", field="signataires"
            )
        if named_by not in IssuanceSignatory.NamedBy.values:
            raise ApplicationError(
                f"Signataire {i} : le nom est renseigné par le certificateur ou par chaque centre.",
                field="signataires",
            )
        if named_by == IssuanceSignatory.NamedBy.CENTRE and name:
            raise ApplicationError(
                f"Signataire {i} (« {title} ») : son nom est renseigné par chaque centre, laissez-le vide ici.",
                field="signataires",
            )
        if named_by == IssuanceSignatory.NamedBy.CERTIFICATEUR and not name:
            raise ApplicationError(f"Signataire {i} (« {title} ») : indiquez son nom.", field="signataires")
        out.append(SignatoryInput(title=title, name=name, named_by=named_by))
    if len(out) > MAX_SIGNATORIES:
        raise ApplicationError(f"{MAX_SIGNATORIES} signataires au plus.", field="signataires")
    titles = [s.title.casefold() for s in out]
    if len(set(titles)) != len(titles):
        raise ApplicationError("Deux signataires ont la même qualité.", field="signataires")
    return out


@transaction.atomic
def issuance_rule_set(
    *,
    certificateur,
    by: Actor,
    known_codes: list[str],
    kind: str,
    issuer: str,
    referentiel_code: str = "",
    signataires=None,
    source: str = "",
) -> IssuanceRule:
    """Create or replace the rule of ``kind`` (default, or for one of the certificateur's codes)."""
    if not certificateur.is_certificateur:
        raise ApplicationError("Seul un certificateur définit qui émet et qui signe ses documents.")
    kind, issuer, code = _clean(kind), _clean(issuer), _clean(referentiel_code)
    if kind not in KIND_LABELS:
        raise ApplicationError(
            "Document : parchemin, certificat de bloc de compétences ou attestation.", field="kind"
        )
    if issuer not in Issuer.values:
        raise ApplicationError("Émetteur : le centre ou le certificateur.", field="issuer")
    if kind == DocumentKind.ATTESTATION and issuer == Issuer.CERTIFICATEUR:
        raise ApplicationError(
            "L'attestation de suivi de formation est délivrée par l'établissement : le centre l'émet.",
            field="issuer",
        )
    if code and code not in known_codes:
        raise ApplicationError(
            f"Certification « {code} » inconnue parmi les vôtres.", field="referentiel_code"
        )
    signatories = _signatories_clean(signataires)
    source = _clean(source)[:500]
    rule, created = IssuanceRule.objects.select_for_update().get_or_create(
        certificateur=certificateur,
        referentiel_code=code,
        kind=kind,
        defaults={"issuer": issuer, "source": source, "updated_by": actor_user(by)},
    )
    before = "" if created else _describe(rule)
    rule.issuer, rule.source, rule.updated_by = issuer, source, actor_user(by)
    rule.save()
    _signatories_replace(rule, signatories)
    rule = IssuanceRule.objects.prefetch_related("signatories").get(pk=rule.pk)
    audit_record(
        actor=actor_user(by),
        action="emission.regle",
        obj=rule,
        message=(f"{before} → " if before else "") + _describe(rule),
    )
    return rule


def _signatories_replace(rule: IssuanceRule, signatories: list[SignatoryInput]) -> None:
    """The rule's signatories become ``signatories``. A signatory kept at its place (same title, the
    name entered by the same side) keeps its row, so the name each centre entered for it stays; a
    removed one goes, and the names the centres gave it with it (the database cascades across the
    centres' tenants, which the certificateur cannot read: documents 0010)."""
    existing = {s.order: s for s in rule.signatories.all()}
    for i, s in enumerate(signatories):
        old = existing.pop(i, None)
        if old is not None and (old.title, old.named_by) == (s.title, s.named_by):
            if old.name != s.name:
                old.name = s.name
                old.save(update_fields=["name"])
            continue
        if old is not None:
            old.delete()
        IssuanceSignatory.objects.create(rule=rule, order=i, title=s.title, name=s.name, named_by=s.named_by)
    for old in existing.values():
        old.delete()


def _describe(rule: IssuanceRule) -> str:
    who = "certificateur" if rule.issuer == Issuer.CERTIFICATEUR else "centre"
    signs = ", ".join(str(s) for s in rule.signatories.all()) or "signataires par défaut"
    return f"{KIND_LABELS.get(rule.kind, rule.kind)} {rule.referentiel_code or '(défaut)'} : émis par le {who} ; {signs}"


@transaction.atomic
def issuance_rule_delete(*, rule: IssuanceRule, by: Actor) -> None:
    """Remove a rule: the default (or the centre) applies again."""
    description = _describe(rule)
    audit_record(actor=actor_user(by), action="emission.regle_supprimee", obj=rule, message=description)
    rule.delete()
