"""What a checked file becomes: planned rows, errors and warnings, duplicates to decide."""

from dataclasses import dataclass, field

from candidates.importer.columns import PREVIEW_ROWS
from candidates.models import (
    Candidate,
)
from referentiels.models import Referentiel


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class PlannedRow:
    row: int
    identity: tuple
    candidate: Candidate
    existing: Candidate | None
    referentiel: Referentiel
    bloc_ids: list[int]
    dossier_fields: dict
    siret: str = ""
    entreprise_name: str = ""
    tuteur: dict = field(default_factory=dict)
    duplicate_of: Candidate | None = None
    choice: str = ""


# What to do with a row whose candidate already exists in the centre (same name, first name
# and birth date): chosen per row in the preview, carried to the confirmed import.
MERGE, CREATE, SKIP = "fusionner", "creer", "ignorer"
DUPLICATE_CHOICES = {
    MERGE: "rattacher au candidat existant",
    CREATE: "créer un nouveau candidat",
    SKIP: "ignorer la ligne",
}


@dataclass
class Report:
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    rows: list[PlannedRow] = field(default_factory=list)
    # One entry per row matching an existing candidate: row, who, whether a merge is possible
    # and the choice made so far ("" = still to choose).
    duplicates: list[dict] = field(default_factory=list)

    def preview(self) -> list[dict]:
        return [
            {
                "row": p.row,
                "candidat": f"{p.candidate.nom_naissance} {p.candidate.prenom1}",
                "naissance": p.candidate.naissance_date_affichee,
                "referentiel": p.referentiel.code,
                "blocs": len(p.bloc_ids),
                "action": self._action(p),
            }
            for p in self.rows[:PREVIEW_ROWS]
        ]

    def _action(self, planned: PlannedRow) -> str:
        if planned.existing:
            return "rattaché au candidat existant"
        if planned.duplicate_of and not planned.choice:
            return "doublon : choix à faire"
        return "nouveau candidat"
