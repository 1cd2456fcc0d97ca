"""HTML pages of evaluations: parse, call a service or selector, render. Nothing else.

One module per sub-area; the pages are re-exported here for the URLconfs."""

from evaluations.views.avis import (
    avis_detail,
    avis_extend,
    avis_link,
    avis_list,
    avis_requests,
)
from evaluations.views.grid import (
    correction_resolve,
    epreuve_grid,
    epreuve_grid_cell,
    epreuve_grid_details,
    epreuve_validate,
    evaluator_workspace,
)
from evaluations.views.results import (
    dossier_commission,
    dossier_results,
)
from evaluations.views.sessions import (
    convocation_download,
    epreuve_candidats,
    epreuve_convocations,
    epreuve_delete,
    epreuve_detail,
    epreuve_emargement,
    incident_record,
    inscription_remove,
    presence_record,
    session_controle_continu,
    session_detail,
    session_list,
    session_readiness,
)

__all__ = [
    "avis_detail",
    "avis_extend",
    "avis_link",
    "avis_list",
    "avis_requests",
    "convocation_download",
    "correction_resolve",
    "dossier_commission",
    "dossier_results",
    "epreuve_candidats",
    "epreuve_convocations",
    "epreuve_delete",
    "epreuve_detail",
    "epreuve_emargement",
    "epreuve_grid",
    "epreuve_grid_cell",
    "epreuve_grid_details",
    "epreuve_validate",
    "evaluator_workspace",
    "incident_record",
    "inscription_remove",
    "presence_record",
    "session_controle_continu",
    "session_detail",
    "session_list",
    "session_readiness",
]
