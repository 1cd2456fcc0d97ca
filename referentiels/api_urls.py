from django.urls import path

from referentiels import api

urlpatterns = [
    path("", api.ReferentielListView.as_view(), name="api-referentiels"),
    path("import", api.ReferentielImportView.as_view(), name="api-referentiel-import"),
    path("imports/<uuid:import_id>", api.RncpImportJobView.as_view(), name="api-rncp-import-job"),
    path("habilitations/", api.HabilitationListCreateView.as_view(), name="api-habilitations"),
    path(
        "habilitations/<uuid:habilitation_id>/end",
        api.HabilitationEndView.as_view(),
        name="api-habilitation-end",
    ),
    path("<uuid:public_id>/", api.ReferentielDetailView.as_view(), name="api-referentiel"),
    path("<uuid:public_id>/export", api.ReferentielExportView.as_view(), name="api-referentiel-export"),
    path("<uuid:public_id>/regle", api.ReferentielRegleView.as_view(), name="api-referentiel-regle"),
    path(
        "<uuid:public_id>/composition-jury",
        api.ReferentielCompositionJuryView.as_view(),
        name="api-referentiel-composition-jury",
    ),
    path(
        "<uuid:public_id>/enregistrement",
        api.ReferentielEnregistrementView.as_view(),
        name="api-referentiel-enregistrement",
    ),
    path("<uuid:public_id>/publish", api.ReferentielPublishView.as_view(), name="api-referentiel-publish"),
    path(
        "<uuid:public_id>/new-version",
        api.ReferentielNewVersionView.as_view(),
        name="api-referentiel-new-version",
    ),
]
