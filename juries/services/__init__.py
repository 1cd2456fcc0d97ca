"""Writes of juries: composition, deliberation, signatures, freezing, rectification, publication.

Call inside ``tenant_context``; ``by`` is the actor's ``Membership``. Life of a jury::

    composition ──open (composition rule checked)──▶ deliberation ──close (président)──▶
    signature ──last signature (the président's)──▶ signe (frozen: services + DB triggers)

After the freeze the dossiers are deliberated (``candidates.services.dossier_deliberate``) and
the documents are requested; any later correction is a :class:`Rectification` whose own PV is
signed the same way before it applies.
"""

from juries.services._common import (
    DECISION_LABELS,
    S,
)
from juries.services.composition import (
    COMPOSITION_ADMIN_ONLY,
    composed_by_label,
    dossier_proposals_refresh,
    jury_composition_failures,
    jury_create,
    jury_dossier_remove,
    jury_dossiers_add,
    jury_member_add,
    jury_member_remove,
    jury_open,
    jury_update,
)
from juries.services.deliberation import (
    decision_record,
    decisions_accept_all,
    jury_close,
    jury_composed_by,
    member_for,
    member_qualite,
    partial_allowed,
    pv_contenu,
    pv_create,
    sha256_text,
)
from juries.services.publication import (
    jury_results_publish,
    publication_deadline,
)
from juries.services.rectification import (
    _rectification_apply,
    rectification_contenu,
    rectification_create,
)
from juries.services.signatures import (
    SIGN_LOCK_SECONDS,
    SIGN_MAX_FAILURES,
    SecondFactorRefused,
    proces_verbal_sign,
    pv_signatories,
    second_factor_check,
    sign_lock_check,
)

__all__ = [
    "dossier_proposals_refresh",
    "COMPOSITION_ADMIN_ONLY",
    "DECISION_LABELS",
    "S",
    "SIGN_LOCK_SECONDS",
    "SIGN_MAX_FAILURES",
    "SecondFactorRefused",
    "_rectification_apply",
    "composed_by_label",
    "decision_record",
    "decisions_accept_all",
    "jury_close",
    "jury_composed_by",
    "jury_composition_failures",
    "jury_create",
    "jury_dossier_remove",
    "jury_dossiers_add",
    "jury_member_add",
    "jury_member_remove",
    "jury_open",
    "jury_results_publish",
    "jury_update",
    "member_for",
    "member_qualite",
    "partial_allowed",
    "proces_verbal_sign",
    "publication_deadline",
    "pv_contenu",
    "pv_create",
    "pv_signatories",
    "rectification_contenu",
    "rectification_create",
    "second_factor_check",
    "sha256_text",
    "sign_lock_check",
]
