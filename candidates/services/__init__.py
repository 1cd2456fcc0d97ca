"""Writes on candidates, entreprises, tuteurs and dossiers — including the dossier state machine.

Call these inside ``tenant_context`` (pages and API already are). ``by`` is the actor: a
``Membership`` (pages, API) or a user; ``None`` for the system (tasks, demo).

State machine (DESIGN.md)::

    brouillon → inscrit → en_evaluation → pret_pour_jury → delibere (certifie | partiel | ajourne)
        └──────────┴────────────┴──────────────┴──→ abandon

plus two corrections with a mandatory reason (``inscrit → brouillon``, ``pret_pour_jury →
en_evaluation``). Other apps move dossiers with :func:`dossier_transition`, the jury with
:func:`dossier_deliberate`; :func:`dossier_rattrapage_open` opens a retake. Apps above add
their own guards through :mod:`candidates.hooks` (e.g. the evaluations app's readiness guard)."""

from candidates.services._common import S
from candidates.services.dossiers import (
    DOSSIER_FIELDS,
    allowed_modalites,
    dossier_create,
    dossier_delete,
    dossier_field_errors,
    dossier_plan_errors,
    dossier_plan_update,
    dossier_update,
)
from candidates.services.imports import (
    IMPORT_ASYNC_MIN_BYTES,
    IMPORT_FORMATS,
    import_job_apply,
    import_job_check,
    import_job_confirm,
    import_job_create,
    import_job_progress,
)
from candidates.services.persons import (
    CANDIDATE_FIELDS,
    ENTREPRISE_FIELDS,
    TUTEUR_FIELDS,
    candidate_create,
    candidate_delete,
    candidate_update,
    entreprise_create,
    entreprise_delete,
    entreprise_siret_check,
    entreprise_update,
    tuteur_create,
    tuteur_delete,
    tuteur_update,
)
from candidates.services.pieces import (
    PieceDownload,
    piece_delete,
    piece_download,
    piece_upload,
)
from candidates.services.rattrapage import (
    dossier_rattrapage_open,
    dossier_rattrapage_plan,
)
from candidates.services.state_machine import (
    BUILTIN_GUARDS,
    PIECE_REQUIRED_BY_MODALITE,
    TRANSITIONS,
    PlanSnapshot,
    dossier_decision_check,
    dossier_decision_rectify,
    dossier_deliberate,
    dossier_transition,
    dossier_transition_blockers,
)

__all__ = [
    "PieceDownload",
    "piece_download",
    "BUILTIN_GUARDS",
    "PlanSnapshot",
    "CANDIDATE_FIELDS",
    "DOSSIER_FIELDS",
    "ENTREPRISE_FIELDS",
    "IMPORT_ASYNC_MIN_BYTES",
    "IMPORT_FORMATS",
    "PIECE_REQUIRED_BY_MODALITE",
    "S",
    "TRANSITIONS",
    "TUTEUR_FIELDS",
    "allowed_modalites",
    "candidate_create",
    "candidate_delete",
    "candidate_update",
    "dossier_create",
    "dossier_decision_check",
    "dossier_decision_rectify",
    "dossier_delete",
    "dossier_deliberate",
    "dossier_field_errors",
    "dossier_plan_errors",
    "dossier_plan_update",
    "dossier_rattrapage_open",
    "dossier_rattrapage_plan",
    "dossier_transition",
    "dossier_transition_blockers",
    "dossier_update",
    "entreprise_create",
    "entreprise_delete",
    "entreprise_siret_check",
    "entreprise_update",
    "import_job_apply",
    "import_job_check",
    "import_job_confirm",
    "import_job_create",
    "import_job_progress",
    "piece_delete",
    "piece_upload",
    "tuteur_create",
    "tuteur_delete",
    "tuteur_update",
]
