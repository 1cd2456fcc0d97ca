from django.urls import path

from certificateur import api

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
]
