"""Validators of French identifiers used by candidates and entreprises."""

import re

from django.core.exceptions import ValidationError


def luhn_valid(digits: str) -> bool:
    """Luhn checksum (ISO/IEC 7812), as used by the SIREN/SIRET key."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# La Poste's establishments are numbered outside the Luhn rule (INSEE exception): their
# SIRET starts with the SIREN 356000000 and the sum of digits is a multiple of 5.
LA_POSTE_SIREN = "356000000"


def siret_is_valid(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{14}", value or ""):
        return False
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_SIREN + "00048":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)


def validate_siret(value: str) -> None:
    if not re.fullmatch(r"[0-9]{14}", value or ""):
        raise ValidationError("Le SIRET compte exactement 14 chiffres.", code="siret_format")
    if not siret_is_valid(value):
        raise ValidationError(
            "SIRET invalide : la clé de contrôle ne correspond pas, un chiffre est sans doute mal recopié (vérifiez-le sur l'avis de situation Sirene ou un bulletin de paie).",
            code="siret_key",
        )


def validate_code_insee(value: str) -> None:
    """Code officiel géographique of a commune: 5 characters, Corsica as 2A/2B (e.g. 2A004)."""
    if not re.fullmatch(r"([0-9]{2}|2A|2B)[0-9]{3}", value or ""):
        raise ValidationError(
            "Code INSEE invalide : 5 caractères, chiffres ou 2A/2B pour la Corse (ex. 75056, 2A004).",
            code="insee",
        )


def validate_code_pays(value: str) -> None:
    if not re.fullmatch(r"[A-Z0-9]{3}", value or ""):
        raise ValidationError("Code pays invalide : 3 caractères (ex. FRA).", code="pays")
