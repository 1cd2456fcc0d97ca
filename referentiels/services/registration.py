"""Registration of a version in the RNCP or the RS (numéro, NSF codes, dates)."""

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels.models import (
    Enregistrement,
    Referentiel,
)
from referentiels.services._common import _require_certificateur, _require_owner

# --- registration (RNCP / RS) ------------------------------------------------------------------

NSF_PATTERN = re.compile(r"^[0-9]{3}[a-z]?$")
NUMERO_PATTERN = {"RNCP": re.compile(r"^RNCP[0-9]{3,6}$"), "RS": re.compile(r"^RS[0-9]{3,6}$")}


def _nsf_clean(codes) -> list[dict]:
    if codes in (None, ""):
        return []
    if not isinstance(codes, list):
        raise ApplicationError("Les codes NSF doivent être une liste.", field="codes_nsf")
    out = []
    for item in codes:
        code, libelle = (item.get("code"), item.get("libelle", "")) if isinstance(item, dict) else (item, "")
        code = str(code or "").strip()
        if not NSF_PATTERN.match(code):
            raise ApplicationError(
                f"Code NSF invalide : « {code} » (trois chiffres, éventuellement suivis d'une lettre, ex. 324t).",
                field="codes_nsf",
            )
        out.append({"code": code, "libelle": str(libelle or "").strip()[:200]})
    if len(out) > 3:
        raise ApplicationError("Trois codes NSF au plus (comme la fiche RNCP).", field="codes_nsf")
    return out


def enregistrement_check(
    *,
    numero: str,
    type_enregistrement: str = Enregistrement.Type.SUR_DEMANDE,
    date_decision: dt.date | None = None,
    duree_ans: int | None = None,
    reference_jo: str = "",
    date_fin: dt.date | None = None,
    niveau: int | None = None,
    codes_nsf=None,
) -> dict:
    """The clean fields of a registration, or an ``ApplicationError`` in French (nothing written)."""
    numero = (numero or "").strip().upper().replace(" ", "")
    repertoire = "RS" if numero.startswith("RS") else "RNCP"
    if not NUMERO_PATTERN[repertoire].match(numero):
        raise ApplicationError(
            f"Numéro d'enregistrement invalide : « {numero} » (attendu RNCP suivi de chiffres, ex. RNCP36390, "
            "ou RS suivi de chiffres).",
            field="numero",
        )
    if type_enregistrement not in Enregistrement.Type.values:
        raise ApplicationError("Type d'enregistrement inconnu.", field="type_enregistrement")
    reference_jo = (reference_jo or "").strip()
    if type_enregistrement == Enregistrement.Type.SUR_DEMANDE and date_decision is None:
        raise ApplicationError(
            "La date de la décision du directeur général de France compétences est obligatoire "
            "pour un enregistrement sur demande.",
            field="date_decision",
        )
    if type_enregistrement == Enregistrement.Type.DE_DROIT and not reference_jo:
        raise ApplicationError(
            "La référence de publication (Journal officiel, arrêté) est obligatoire pour un enregistrement de droit.",
            field="reference_jo",
        )
    if len(reference_jo) > 500:
        raise ApplicationError("La référence de publication dépasse 500 caractères.", field="reference_jo")
    today = timezone.localdate()
    if date_decision is not None and date_decision > today:
        raise ApplicationError("La date de décision ne peut pas être dans le futur.", field="date_decision")
    if duree_ans is not None and not 1 <= int(duree_ans) <= 10:
        raise ApplicationError("La durée d'enregistrement va de 1 à 10 ans.", field="duree_ans")
    if repertoire == "RS" and niveau is not None:
        raise ApplicationError(
            "Une certification du Répertoire spécifique n'a pas de niveau.", field="niveau"
        )
    if niveau is not None and not 1 <= int(niveau) <= 8:
        raise ApplicationError(
            "Le niveau de la nomenclature nationale va de 1 à 8 (décret n° 2019-14).", field="niveau"
        )
    if date_fin is not None and date_decision is not None and date_fin <= date_decision:
        raise ApplicationError("La fin d'enregistrement suit la date de décision.", field="date_fin")
    return {
        "repertoire": repertoire,
        "numero": numero,
        "type_enregistrement": type_enregistrement,
        "date_decision": date_decision,
        "duree_ans": int(duree_ans) if duree_ans is not None else None,
        "reference_jo": reference_jo,
        "date_fin": date_fin,
        "niveau": int(niveau) if niveau is not None else None,
        "codes_nsf": _nsf_clean(codes_nsf),
    }


def enregistrement_set(
    *, referentiel: Referentiel, by: Organisation, user=None, source: str = "saisie", **fields
) -> Enregistrement:
    """Record (or correct) the registration of ``referentiel``'s code; audited in the certificateur."""
    _require_certificateur(by)
    _require_owner(referentiel, by)
    clean = enregistrement_check(**fields)
    with transaction.atomic():
        enregistrement, created = Enregistrement.objects.update_or_create(
            code=referentiel.code,
            defaults=clean | {"certificateur": by, "source": source, "updated_by": user},
        )
        if user is not None:
            from organisations.services import audit_record
            from organisations.tenancy import tenant_context

            with tenant_context(by):
                audit_record(
                    actor=user,
                    action="referentiel.enregistrement",
                    obj=referentiel,
                    message=f"{referentiel.code} : {clean['numero']} ({'créé' if created else 'modifié'})",
                )
    return enregistrement


def enregistrement_delete(*, referentiel: Referentiel, by: Organisation, user=None) -> None:
    """The code is not (or no longer) registered: its documents print no registration sentence."""
    _require_certificateur(by)
    _require_owner(referentiel, by)
    with transaction.atomic():
        deleted, _ = Enregistrement.objects.filter(code=referentiel.code, certificateur=by).delete()
        if deleted and user is not None:
            from organisations.services import audit_record
            from organisations.tenancy import tenant_context

            with tenant_context(by):
                audit_record(
                    actor=user, action="referentiel.enregistrement", obj=referentiel, message="supprimé"
                )
