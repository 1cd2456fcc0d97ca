from django.urls import path

from certificateur import api, issuance_api

urlpatterns = [
    path("figures/", api.FiguresView.as_view(), name="api-oversight-figures"),
    path("renouvellement/", api.RenewalView.as_view(), name="api-oversight-renewal"),
    path("resultats/", api.ResultsView.as_view(), name="api-oversight-results"),
    path("resultats/export/<str:fmt>/", api.ResultsFileView.as_view(), name="api-oversight-results-file"),
    path("accrochage/passages/", api.PassageListView.as_view(), name="api-cdc-passages"),
    path("accrochage/synchroniser/", api.PassageSyncView.as_view(), name="api-cdc-sync"),
    path("accrochage/flux/", api.FluxListCreateView.as_view(), name="api-cdc-flux"),
    path("accrochage/flux/<uuid:flux_id>/xml/", api.FluxFileView.as_view(), name="api-cdc-flux-xml"),
    path("accrochage/rapports/", api.RapportImportView.as_view(), name="api-cdc-rapports"),
    path("attestations-numeriques/", api.CredentialListView.as_view(), name="api-oversight-credentials"),
    path(
        "jurys/<uuid:jury_id>/transmission/",
        api.JuryTransmissionView.as_view(),
        name="api-oversight-jury-transmission",
    ),
    path("emission/regles/", issuance_api.RuleListView.as_view(), name="api-emission-rules"),
    path("emission/regles/<uuid:rule_id>/", issuance_api.RuleDetailView.as_view(), name="api-emission-rule"),
    path("approbations/", issuance_api.ApprovalListView.as_view(), name="api-approvals"),
    path(
        "approbations/<str:kind>/<uuid:request_id>/decider/",
        issuance_api.ApprovalDecideView.as_view(),
        name="api-approval-decide",
    ),
    path("pv-recus/", issuance_api.ReceivedListView.as_view(), name="api-received-pvs"),
    path("pv-recus/emettre/", issuance_api.ReceivedIssueView.as_view(), name="api-received-pvs-issue"),
    path(
        "pv-recus/<uuid:transmission_id>/", issuance_api.ReceivedDetailView.as_view(), name="api-received-pv"
    ),
    path(
        "pv-recus/<uuid:transmission_id>/retourner/",
        issuance_api.ReceivedReturnView.as_view(),
        name="api-received-pv-return",
    ),
]
