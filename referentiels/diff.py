"""Side-by-side comparison of two versions, capacité by capacité."""

from dataclasses import dataclass

from referentiels.models import ModaliteType, Referentiel
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


def _modalites(items: list[dict]) -> str:
    """One line per modalité, in words: « Étude de cas — écrit, 120 min, 40 points »."""

    labels = dict(ModaliteType.choices)
    lines = []
    for m in items:
        facts = [m["forme"]] if m.get("forme") else []
        if m.get("duree_minutes"):
            facts.append(f"{m['duree_minutes']} min")
        if m.get("points"):
            facts.append(f"{m['points']} points")
        if m.get("double_correction"):
            facts.append("double correction")
        text = m.get("intitule") or labels.get(m["type"], m["type"])
        lines.append(
            text
            + (f" — {', '.join(facts)}" if facts else "")
            + (f" ({m['notes']})" if m.get("notes") else "")
        )
    return "\n".join(lines)


def _regle(doc: dict) -> str:
    from referentiels.describe import regle_describe
    from referentiels.regles import RegleError

    try:
        return "\n".join(regle_describe(doc["regle"], {b["code"]: b["intitule"] for b in doc["blocs"]}))
    except RegleError as exc:  # a draft may hold an incomplete règle: show what is wrong
        return f"Règle incomplète : {exc}"


def _flatten(doc: dict) -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {
        "intitule": ("Intitulé", doc["intitule"]),
        "niveau": ("Niveau", f"{doc['niveau_national']} / {doc['niveau_europeen']}".strip(" /")),
        "regle": ("Règle d'obtention", _regle(doc)),
    }
    for bloc in doc["blocs"]:
        rows[f"bloc:{bloc['code']}"] = (f"Bloc {bloc['code']}", bloc["intitule"])
        rows[f"bmod:{bloc['code']}"] = (f"Modalités du bloc {bloc['code']}", _modalites(bloc["modalites"]))
        for cap in bloc["capacites"]:
            rows[f"cap:{cap['code']}"] = (f"Capacité {cap['code']}", cap["intitule"])
            rows[f"cond:{cap['code']}"] = (f"Conditions {cap['code']}", cap["conditions"])
            rows[f"crit:{cap['code']}"] = (
                f"Critères {cap['code']}",
                "\n".join((f"[{c['groupe']}] " if c["groupe"] else "") + c["texte"] for c in cap["criteres"]),
            )
            rows[f"cmod:{cap['code']}"] = (f"Modalités {cap['code']}", _modalites(cap["modalites"]))
    for act in doc["activites"]:
        rows[f"act:{act['code']}"] = (
            f"Activité {act['code']}",
            act["intitule"] + (f"\nCapacités : {', '.join(act['capacites'])}" if act["capacites"] else ""),
        )
    return rows


def referentiel_diff(a: Referentiel, b: Referentiel) -> list[DiffRow]:
    left, right = _flatten(referentiel_export(referentiel=a)), _flatten(referentiel_export(referentiel=b))
    keys = list(left) + [k for k in right if k not in left]
    return [
        DiffRow(k, (left.get(k) or right[k])[0], left.get(k, ("", ""))[1], right.get(k, ("", ""))[1])
        for k in keys
    ]
