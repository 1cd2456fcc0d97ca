from django.urls import path

from espace_candidat import oid4vci, views

# /espace/…: the person's own space across centres, and the unsubscribe link of the e-mails
public_urlpatterns = [
    path("espace/", views.home, name="espace_home"),
    path("espace/desabonnement/<str:token>/", views.unsubscribe, name="espace_unsubscribe"),
    # OpenID4VCI (pre-authorized code): the wallet's side, anonymous, rate-limited
    path(".well-known/openid-credential-issuer", oid4vci.issuer_metadata, name="oid4vci_issuer_metadata"),
    path(
        ".well-known/oauth-authorization-server",
        oid4vci.authorization_server_metadata,
        name="oid4vci_as_metadata",
    ),
    path("oid4vci/offres/<str:code>", oid4vci.offer, name="oid4vci_offer"),
    path("oid4vci/token", oid4vci.token, name="oid4vci_token"),
    path("oid4vci/nonce", oid4vci.nonce, name="oid4vci_nonce"),
    path("oid4vci/credential", oid4vci.credential, name="oid4vci_credential"),
]

# /o/<slug>/…
urlpatterns = [
    path("espace/dossiers/<uuid:dossier_id>/", views.dossier, name="espace_dossier"),
    path("espace/dossiers/<uuid:dossier_id>/pieces/", views.piece_upload, name="espace_piece_upload"),
    path("espace/dossiers/<uuid:dossier_id>/rattrapage/", views.rattrapage, name="espace_rattrapage"),
    path("espace/dossiers/<uuid:dossier_id>/suivi/", views.suivi, name="espace_suivi"),
    path("espace/convocations/<uuid:convocation_id>.pdf", views.convocation_pdf, name="espace_convocation"),
    path("espace/documents/<uuid:document_id>/telecharger/", views.document_download, name="espace_document"),
    path(
        "espace/documents/<uuid:document_id>/attestation.json",
        views.document_credential,
        name="espace_credential",
    ),
    path(
        "espace/documents/<uuid:document_id>/portefeuille/",
        views.wallet_offer,
        name="espace_wallet_offer",
    ),
    path("espace/enquetes/<uuid:enquete_id>/", views.enquete, name="espace_enquete"),
    path("espace/identite/", views.identity, name="espace_identity"),
    path("espace/mes-donnees.zip", views.rgpd_export, name="espace_rgpd"),
    path("espace-centre/candidats/<uuid:candidate_id>/inviter/", views.invite, name="espace_invite"),
    path("espace-centre/demandes/", views.requests_list, name="espace_centre_requests"),
    path(
        "espace-centre/demandes/identite/<uuid:correction_id>/",
        views.correction_decide,
        name="espace_correction_decide",
    ),
    path(
        "espace-centre/demandes/rattrapage/<uuid:rattrapage_id>/",
        views.rattrapage_decide,
        name="espace_rattrapage_decide",
    ),
    path(
        "espace-centre/demandes/rattrapage/<uuid:rattrapage_id>/justificatif/",
        views.rattrapage_justificatif,
        name="espace_rattrapage_justificatif",
    ),
    path("espace-centre/suivi/", views.followup, name="espace_centre_suivi"),
    path("espace-centre/suivi/transmettre/", views.followup_transmit, name="espace_centre_transmit"),
    path(
        "espace-centre/jurys/<uuid:jury_id>/notifications/",
        views.jury_notifications,
        name="espace_jury_notifications",
    ),
    path("supervision/insertion/", views.insertion, name="espace_insertion"),
    path("supervision/insertion.<str:fmt>", views.insertion_export, name="espace_insertion_export"),
]
