"""Side-by-side comparison of two versions, capacité by capacité."""

from dataclasses import dataclass

from referentiels.models import Referentiel
from referentiels.services import referentiel_export


@dataclass
class DiffRow:
    key: str
    label: str
    left: str
    right: str

    @property
    def status(self) -> str:
        if self.left == self.right:
            return "same"
        if not self.left:
            return "added"
        if not self.right:
            return "removed"
        return "changed"


def _flatten(doc: dict) -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {
        "intitule": ("Intitulé", doc["intitule"]),
        "niveau": ("Niveau", f"{doc['niveau_national']} / {doc['niveau_europeen']}".strip(" /")),
        "regle": ("Règle d'obtention", repr(doc["regle"])),
    }
    for bloc in doc["blocs"]:
        rows[f"bloc:{bloc['code']}"] = (f"Bloc {bloc['code']}", bloc["intitule"])
        for cap in bloc["capacites"]:
            rows[f"cap:{cap['code']}"] = (f"Capacité {cap['code']}", cap["intitule"])
            rows[f"cond:{cap['code']}"] = (f"Conditions {cap['code']}", cap["conditions"])
            rows[f"crit:{cap['code']}"] = (
                f"Critères {cap['code']}",
                "\n".join((f"[{c['groupe']}] " if c["groupe"] else "") + c["texte"] for c in cap["criteres"]),
            )
    return rows


def referentiel_diff(a: Referentiel, b: Referentiel) -> list[DiffRow]:
    left, right = _flatten(referentiel_export(referentiel=a)), _flatten(referentiel_export(referentiel=b))
    keys = list(left) + [k for k in right if k not in left]
    return [DiffRow(k, (left.get(k) or right.get(k))[0], left.get(k, ("", ""))[1], right.get(k, ("", ""))[1]) for k in keys]
