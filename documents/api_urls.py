from django.urls import path

from documents import api

urlpatterns = [
    path("", api.DocumentListView.as_view(), name="api-documents"),
    path("progress", api.BatchProgressView.as_view(), name="api-documents-progress"),
    path("zip", api.BatchZipView.as_view(), name="api-documents-zip"),
    path("render", api.BatchRenderView.as_view(), name="api-documents-render"),
    path("<uuid:public_id>/", api.DocumentDetailView.as_view(), name="api-document"),
    path("<uuid:public_id>/download", api.DocumentDownloadView.as_view(), name="api-document-download"),
    path("<uuid:public_id>/credential", api.DocumentCredentialView.as_view(), name="api-document-credential"),
    path("<uuid:public_id>/revoke", api.DocumentRevokeView.as_view(), name="api-document-revoke"),
    path(
        "<uuid:public_id>/revocation-request",
        api.DocumentRevocationRequestView.as_view(),
        name="api-document-revocation-request",
    ),
    path("<uuid:public_id>/reissue", api.DocumentReissueView.as_view(), name="api-document-reissue"),
    path(
        "reissue-requests/<uuid:request_id>/approve",
        api.ReissueApproveView.as_view(),
        name="api-document-reissue-approve",
    ),
    path(
        "reissue-requests/<uuid:request_id>/refuse",
        api.ReissueRefuseView.as_view(),
        name="api-document-reissue-refuse",
    ),
]
