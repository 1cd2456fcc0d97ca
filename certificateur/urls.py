from django.urls import path

from certificateur import issuance_views, views

urlpatterns = [
    path("", views.oversight, name="oversight"),
    path("dossiers/<uuid:dossier_id>/", views.oversight_dossier, name="oversight_dossier"),
    path("proces-verbaux/<uuid:document_id>.pdf", views.oversight_pv_download, name="oversight_pv_download"),
    path("jurys/<uuid:jury_id>/transmission.zip", views.oversight_bundle, name="oversight_bundle"),
    path(
        "jurys/<uuid:jury_id>/transmis/",
        views.oversight_transmission_record,
        name="oversight_transmission_record",
    ),
    path("export.<str:fmt>", views.oversight_export, name="oversight_export"),
    path("accrochage/", views.accrochage_page, name="accrochage"),
    path("accrochage/identifiants/", views.accrochage_compte, name="accrochage_compte"),
    path("accrochage/synchroniser/", views.accrochage_sync, name="accrochage_sync"),
    path("accrochage/flux/", views.accrochage_flux_create, name="accrochage_flux_create"),
    path("accrochage/retrait/", views.accrochage_retrait, name="accrochage_retrait"),
    path(
        "accrochage/flux/<uuid:flux_id>.xml", views.accrochage_flux_download, name="accrochage_flux_download"
    ),
    path("accrochage/rapport/", views.accrochage_rapport, name="accrochage_rapport"),
    path("attestations-numeriques/", views.credential_list, name="oversight_credentials"),
    path("emission/", issuance_views.emission_rules, name="emission_rules"),
    path(
        "emission/<uuid:rule_id>/supprimer/", issuance_views.emission_rule_delete, name="emission_rule_delete"
    ),
    path("approbations/", issuance_views.approvals_page, name="approvals_page"),
    path(
        "approbations/<str:kind>/<uuid:request_id>/decider/",
        issuance_views.approval_decide,
        name="approval_decide",
    ),
    path(
        "approbations/reeditions/<uuid:request_id>/piece/",
        issuance_views.approval_piece,
        name="approval_piece",
    ),
    path("pv-recus/", issuance_views.received_pvs, name="received_pvs"),
    path("pv-recus/<uuid:transmission_id>/", issuance_views.received_pv, name="received_pv"),
    path(
        "pv-recus/<uuid:transmission_id>/retourner/",
        issuance_views.received_pv_return,
        name="received_pv_return",
    ),
]

public_urlpatterns = [
    path(".well-known/jwks.json", views.well_known_jwks, name="vc_jwks"),
    path("credentials/emetteurs/<uuid:certificateur_id>", views.vc_issuer, name="vc_issuer"),
    path("credentials/statut/<uuid:list_id>", views.vc_status_list, name="vc_status_list"),
]
