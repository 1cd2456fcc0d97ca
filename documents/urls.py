from django.urls import path

from documents import views

urlpatterns = [
    path("", views.document_list, name="document_list"),
    path("progression/", views.batch_progress_partial, name="document_batch_progress"),
    path("archive/", views.documents_zip_view, name="document_zip"),
    path("relancer/", views.documents_retry_view, name="document_retry"),
    path("<uuid:public_id>/", views.document_detail, name="document_detail"),
    path("<uuid:public_id>/telecharger/", views.document_download, name="document_download"),
    path("<uuid:public_id>/attestation-numerique/", views.document_credential, name="document_credential"),
    path("<uuid:public_id>/revoquer/", views.document_revoke_view, name="document_revoke"),
    path("<uuid:public_id>/reediter/", views.document_reissue_view, name="document_reissue"),
    path(
        "reeditions/<uuid:request_id>/decider/",
        views.reissue_request_decide_view,
        name="document_reissue_decide",
    ),
]
