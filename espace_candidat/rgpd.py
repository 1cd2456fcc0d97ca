"""RGPD section of the candidate's space (``candidates.hooks.register_rgpd_section``).

Export: the identity correction requests (what was asked, the centre's answer and its state)
and the « Ajouter à mon portefeuille numérique » history (offer created, valid until, code
exchanged, attestation handed over, for which document). Never the hashes of the codes, PINs,
tokens or nonces: they are secrets of the protocol, not data about the candidate.

Erasure: the wallet offers go (the audit log keeps the issuance, the credential row its own
status); the content of the correction requests (proposed values, comment) is emptied — their
state and dates stay, like a dossier's timeline.
"""

from candidates.models import Candidate
from espace_candidat.models import CandidateAccess, IdentityCorrection, WalletOffer


def _offers(candidate: Candidate):
    users = CandidateAccess.objects.filter(candidate=candidate).values("user")
    return WalletOffer.objects.filter(user__in=users)


def espace_export(candidate: Candidate) -> tuple[dict, list[tuple[str, bytes]]]:
    corrections = IdentityCorrection.objects.filter(candidate=candidate).order_by("created_at", "id")
    offers = _offers(candidate).select_related("document").order_by("created_at", "id")
    data = {
        "demandes_de_correction_d_identite": [
            {
                "demandee_le": c.created_at,
                "donnees_confirmees_sans_correction": c.confirme,
                "corrections_demandees": c.changes,
                "commentaire": c.commentaire,
                "etat": c.get_status_display(),
                "reponse_du_centre": c.reponse,
                "traitee_le": c.decided_at,
            }
            for c in corrections
        ],
        "portefeuille_numerique": [
            {
                "document": o.document.get_kind_display(),
                "numero_du_document": o.document.number,
                "offre_creee_le": o.created_at,
                "offre_valable_jusqu_au": o.expires_at,
                "code_echange_le": o.redeemed_at,
                "attestation_remise_le": o.issued_at,
            }
            for o in offers
        ],
    }
    return data, []


def espace_erase(candidate: Candidate, *, holder: bool) -> str:
    offers = _offers(candidate).delete()[1].get(WalletOffer._meta.label, 0)
    corrections = IdentityCorrection.objects.filter(candidate=candidate).update(changes={}, commentaire="")
    done = []
    if offers:
        done.append(f"{offers} offre(s) de portefeuille supprimée(s)")
    if corrections:
        done.append(f"{corrections} demande(s) de correction vidée(s)")
    return " ; ".join(done)
