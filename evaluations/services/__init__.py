"""Writes of evaluations: results (with history, validation, bulk entry, double marking), sessions and
épreuves, convocations, attendance and incidents, the avis de l'entreprise. Results are refused on a
frozen dossier."""

from core.dates import add_months  # re-exported: the make-up and convocation deadlines
from evaluations.durees import duree_affichee, duree_candidat
from evaluations.selectors import OPEN_STATUSES, epreuve_cible, epreuve_cibles
from evaluations.services._common import (
    TRACKED,
    epreuve_start,
    start_ahead,
)
from evaluations.services.avis import (
    AVIS_LINK_INVALID,
    AVIS_LINK_REPLACED,
    AVIS_SALT,
    avis_extend,
    avis_link_accept,
    avis_link_may_login,
    avis_link_resolve,
    avis_link_token,
    avis_link_url,
    avis_page_url,
    avis_reminders_due,
    avis_reminders_send,
    avis_request,
    avis_save,
)
from evaluations.services.commission import commission_decide
from evaluations.services.convocations import convocations_send
from evaluations.services.corrections import (
    correction_may_resolve,
    correction_record,
    correction_resolve,
    epreuve_mark,
    epreuve_results_validate,
)
from evaluations.services.grid import (
    resultat_details_record,
)
from evaluations.services.presence import (
    incident_record,
    presence_record,
)
from evaluations.services.results import (
    resultat_record,
    resultat_validate,
    resultats_bulk_record,
    suivi_update,
)
from evaluations.services.sessions import (
    CONVOCATION_MONTHS,
    EPREUVE_EDITABLE,
    MAKE_UP_MONTHS,
    SESSION_EDITABLE,
    double_correction_for,
    epreuve_candidat_remove,
    epreuve_candidats_add,
    epreuve_create,
    epreuve_delete,
    epreuve_evaluateurs_set,
    epreuve_update,
    modalite_label,
    session_create,
    session_delete,
    session_update,
)

__all__ = [
    "AVIS_LINK_INVALID",
    "AVIS_LINK_REPLACED",
    "AVIS_SALT",
    "CONVOCATION_MONTHS",
    "EPREUVE_EDITABLE",
    "MAKE_UP_MONTHS",
    "OPEN_STATUSES",
    "SESSION_EDITABLE",
    "TRACKED",
    "add_months",
    "avis_extend",
    "avis_link_accept",
    "avis_link_may_login",
    "avis_link_resolve",
    "avis_link_token",
    "avis_link_url",
    "avis_page_url",
    "avis_reminders_due",
    "avis_reminders_send",
    "avis_request",
    "avis_save",
    "commission_decide",
    "convocations_send",
    "correction_may_resolve",
    "correction_record",
    "correction_resolve",
    "double_correction_for",
    "duree_affichee",
    "duree_candidat",
    "epreuve_candidat_remove",
    "epreuve_candidats_add",
    "epreuve_cible",
    "epreuve_cibles",
    "epreuve_create",
    "epreuve_delete",
    "epreuve_evaluateurs_set",
    "epreuve_mark",
    "epreuve_start",
    "epreuve_results_validate",
    "epreuve_update",
    "modalite_label",
    "incident_record",
    "presence_record",
    "resultat_details_record",
    "resultat_record",
    "resultat_validate",
    "resultats_bulk_record",
    "session_create",
    "start_ahead",
    "session_delete",
    "session_update",
    "suivi_update",
]
