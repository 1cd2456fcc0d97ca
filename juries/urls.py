from django.urls import path

from juries import views

urlpatterns = [
    path("", views.jury_list, name="jury_list"),
    path("nouveau/", views.jury_create, name="jury_create"),
    path("signataires/", views.centre_signatories, name="centre_signatories"),
    path("<uuid:jury_id>/transmettre/", views.jury_transmit_again, name="jury_transmit_again"),
    path("<uuid:jury_id>/", views.jury_detail, name="jury_detail"),
    path("<uuid:jury_id>/membres/", views.jury_member_add, name="jury_member_add"),
    path(
        "<uuid:jury_id>/membres/<uuid:member_id>/retirer/",
        views.jury_member_remove,
        name="jury_member_remove",
    ),
    path("<uuid:jury_id>/candidats/", views.jury_dossiers_add, name="jury_dossiers_add"),
    path(
        "<uuid:jury_id>/candidats/<uuid:decision_id>/retirer/",
        views.jury_dossier_remove,
        name="jury_dossier_remove",
    ),
    path("<uuid:jury_id>/ouvrir/", views.jury_open, name="jury_open"),
    path("<uuid:jury_id>/decisions/<uuid:decision_id>/", views.decision_record, name="jury_decision"),
    path("<uuid:jury_id>/decisions/tout-accepter/", views.decisions_accept_all, name="jury_accept_all"),
    path("<uuid:jury_id>/clore/", views.jury_close, name="jury_close"),
    path("<uuid:jury_id>/pv/<uuid:pv_id>/signer/", views.proces_verbal_sign, name="jury_sign"),
    path("<uuid:jury_id>/pv/<uuid:pv_id>/texte/", views.proces_verbal_text, name="jury_pv_text"),
    path("<uuid:jury_id>/rectifications/", views.rectification_create, name="jury_rectify"),
    path("<uuid:jury_id>/publier/", views.jury_publish, name="jury_publish"),
    path("<uuid:jury_id>/resultats/", views.jury_results, name="jury_results"),
    path("<uuid:jury_id>/documents/archive.zip", views.jury_documents_zip, name="jury_documents_zip"),
    path(
        "<uuid:jury_id>/documents/progression/", views.jury_documents_progress, name="jury_documents_progress"
    ),
    path(
        "<uuid:jury_id>/documents/<uuid:document_id>/",
        views.jury_document_download,
        name="jury_document_download",
    ),
]
