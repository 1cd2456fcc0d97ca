from django.urls import path

from juries import api

urlpatterns = [
    path("juries/", api.JuryListCreateView.as_view(), name="api-juries"),
    path("juries/<uuid:jury_id>/", api.JuryDetailView.as_view(), name="api-jury"),
    path("juries/<uuid:jury_id>/members/", api.MemberListCreateView.as_view(), name="api-jury-members"),
    path(
        "juries/<uuid:jury_id>/members/<uuid:member_id>/",
        api.MemberDetailView.as_view(),
        name="api-jury-member",
    ),
    path("juries/<uuid:jury_id>/dossiers/", api.JuryDossiersView.as_view(), name="api-jury-dossiers"),
    path("juries/<uuid:jury_id>/open/", api.JuryOpenView.as_view(), name="api-jury-open"),
    path("juries/<uuid:jury_id>/decisions/", api.DecisionListView.as_view(), name="api-jury-decisions"),
    path(
        "juries/<uuid:jury_id>/decisions/<uuid:decision_id>/",
        api.DecisionDetailView.as_view(),
        name="api-jury-decision",
    ),
    path("juries/<uuid:jury_id>/close/", api.JuryCloseView.as_view(), name="api-jury-close"),
    path("juries/<uuid:jury_id>/proces-verbaux/", api.ProcesVerbalListView.as_view(), name="api-jury-pvs"),
    path(
        "juries/<uuid:jury_id>/proces-verbaux/<uuid:pv_id>/signatures/",
        api.SignatureCreateView.as_view(),
        name="api-jury-sign",
    ),
    path(
        "juries/<uuid:jury_id>/rectifications/",
        api.RectificationListCreateView.as_view(),
        name="api-jury-rectifications",
    ),
    path("juries/<uuid:jury_id>/publish/", api.JuryPublishView.as_view(), name="api-jury-publish"),
    path("juries/<uuid:jury_id>/results/", api.JuryResultsView.as_view(), name="api-jury-results"),
    path("juries/<uuid:jury_id>/documents/", api.JuryDocumentsView.as_view(), name="api-jury-documents"),
    path("juries/signataires/", api.CentreSignatoriesView.as_view(), name="api-centre-signatories"),
    path(
        "juries/<uuid:jury_id>/transmission/",
        api.JuryTransmissionView.as_view(),
        name="api-jury-transmission",
    ),
]
