"""A signed PV and its decisions cannot change by any path; audit histories are append-only.

Every path is tried as the application role ``certif`` (no superuser, no BYPASSRLS): service,
API, Django admin, ORM ``update()``/``save()``/``delete()``, raw SQL. The database triggers
refuse whatever the application layers let through.
"""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from candidates import services as candidates_services
from candidates.models import Dossier, DossierTransition
from core.errors import ApplicationError
from evaluations.models import ResultatChange
from juries import services
from juries.models import Decision, Jury, JuryMember, ProcesVerbal, Signature
from organisations.services import api_token_create
from organisations.tenancy import tenant_context
from tests.evaluations.conftest import IDENTITY
from tests.juries.conftest import JURY_DATE, compose_rncp, ready_dossier, sign_all

pytestmark = [pytest.mark.django_db(transaction=True)]


def _refused(match: str, sql: str | None = None, params=(), action=None):
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        if sql is not None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
        else:
            action()


def test_the_application_role_is_neither_superuser_nor_bypassrls(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == ("certif", False, False)
        # Owner of no table, so it cannot disable their triggers (tests/organisations/test_tenancy.py).
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        assert cursor.fetchone() == (0,)


def test_signed_pv_and_decisions_refuse_every_path(org_a, alice, referentiels, panel):
    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury intégrité", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossier = ready_dossier(alice, rncp, nom_naissance="Integre", prenom1="Léa")
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
        services.jury_open(jury=jury, by=alice)
        services.decisions_accept_all(jury=jury, by=panel["pro1@test.local"][0])
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
    with tenant_context(org_a):
        sign_all(pv, panel)
    pro1 = panel["pro1@test.local"][0]

    with tenant_context(org_a):
        jury = Jury.objects.get(pk=jury.pk)
        assert jury.is_frozen
        decision = Decision.objects.get(jury=jury)
        before = (decision.decision, decision.motivation, list(decision.blocs_valides))
        pv = ProcesVerbal.objects.get(pk=pv.pk)
        signed = (pv.contenu, pv.sha256)
        # service
        with pytest.raises(ApplicationError, match="figée"):
            services.decision_record(
                decision=decision, by=pro1, accept=False, decision_value="ajourne", motivation="x"
            )
        # ORM: update(), save(), delete(), insert
        _refused("figée", action=lambda: Decision.objects.filter(pk=decision.pk).update(decision="ajourne"))
        _refused("figée", action=lambda: Decision.objects.filter(pk=decision.pk).delete())
        decision.motivation = "réécrite"
        _refused("figée", action=decision.save)
        _refused("figée", action=lambda: JuryMember.objects.filter(jury=jury).update(nom="Autre"))
        _refused("texte signé", action=lambda: ProcesVerbal.objects.filter(pk=pv.pk).update(contenu="autre"))
        _refused("effacé|protected", action=lambda: ProcesVerbal.objects.filter(pk=pv.pk).delete())
        _refused(
            "signature", action=lambda: Signature.objects.filter(proces_verbal=pv).update(sha256="0" * 64)
        )
        _refused("signature", action=lambda: Signature.objects.filter(proces_verbal=pv).delete())
        _refused(
            "figée", action=lambda: Jury.objects.filter(pk=jury.pk).update(date=JURY_DATE.replace(day=1))
        )
        _refused("figée|protected", action=lambda: Jury.objects.filter(pk=jury.pk).delete())
        # raw SQL as the application role, including an unscoped statement over the whole table
        _refused("figée", "UPDATE juries_decision SET decision = 'ajourne' WHERE jury_id = %s", [jury.pk])
        _refused("figée", "UPDATE juries_decision SET motivation = 'x'")
        _refused("figée", "DELETE FROM juries_decision WHERE jury_id = %s", [jury.pk])
        _refused(
            "texte signé", "UPDATE juries_procesverbal SET sha256 = repeat('0', 64) WHERE id = %s", [pv.pk]
        )
        _refused("signature", "DELETE FROM juries_signature")
        _refused("effacé", "DELETE FROM juries_procesverbal WHERE id = %s", [pv.pk])
        _refused("supprimé", "DELETE FROM juries_jury WHERE id = %s", [jury.pk])
        _refused("figée", "UPDATE juries_jury SET frozen_at = NULL WHERE id = %s", [jury.pk])

    # API: a jury member's override is refused with the API's error format
    _token, key = api_token_create(membership=pro1, name="integrity")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(
        f"/api/v1/o/centre-a/juries/{jury.public_id}/decisions/{decision.public_id}/",
        {"accept": False, "decision": "ajourne", "blocs_valides": [], "motivation": "coup de force"},
        format="json",
    )
    assert response.status_code in (400, 403, 409), response.content
    assert "error" in response.json()

    # Django admin: no jury model is registered (tenant tables are reached only in their tenant)
    for model in (Jury, Decision, ProcesVerbal, Signature, JuryMember, ResultatChange, DossierTransition):
        assert model not in admin.site._registry

    with tenant_context(org_a):
        decision = Decision.objects.get(pk=decision.pk)
        assert (decision.decision, decision.motivation, list(decision.blocs_valides)) == before
        pv = ProcesVerbal.objects.get(pk=pv.pk)
        assert (pv.contenu, pv.sha256) == signed
        assert Signature.objects.filter(proces_verbal=pv).count() == 4

        # Marks history (ResultatChange): append-only for the application role
        changes = ResultatChange.objects.filter(resultat__dossier=dossier)
        assert changes.exists()
        first = changes.first()
        _refused("historique des résultats", action=lambda: changes.update(new="20"))
        _refused("historique des résultats", action=lambda: changes.delete())
        first.reason = "réécrit"
        _refused("historique des résultats", action=first.save)
        _refused("historique des résultats", "UPDATE evaluations_resultatchange SET new = '20'")
        _refused("historique des résultats", "DELETE FROM evaluations_resultatchange")

        # Transitions history (DossierTransition): append-only for the application role
        transitions = DossierTransition.objects.filter(dossier=dossier)
        assert transitions.count() >= 3
        _refused("historique d'un dossier", action=lambda: transitions.update(to_status="abandon"))
        _refused("historique d'un dossier", action=lambda: transitions.update(reason="réécrit"))
        _refused("historique d'un dossier", action=lambda: transitions.delete())
        _refused("historique d'un dossier", "UPDATE candidates_dossiertransition SET at = now()")
        _refused("historique d'un dossier", "DELETE FROM candidates_dossiertransition")
        _refused(
            "historique d'un dossier", "UPDATE candidates_dossiertransition SET by_id = %s", [pro1.user_id]
        )


def test_transition_history_keeps_its_legitimate_writes(org_a, alice):
    """What the platform itself does still works: draft deletion, author SET_NULL, RGPD blanking."""
    import datetime as dt

    from candidates.models import Candidate
    from organisations.models import Organisation
    from referentiels.demo import load_seed
    from referentiels.services import habilitation_grant

    cci = Organisation.objects.create(kind="certificateur", slug="cci-france", name="CCI France")
    rncp = load_seed("rncp36390.json", cci)
    habilitation_grant(certificateur=cci, centre=org_a, code="RNCP36390", date_debut=dt.date(2024, 1, 1))
    with tenant_context(org_a):
        candidate = candidates_services.candidate_create(by=alice, **IDENTITY)
        draft = candidates_services.dossier_create(
            by=alice, candidate=candidate, referentiel=rncp, voie_acces="VAE"
        )
        assert DossierTransition.objects.filter(dossier=draft).count() == 1
        candidates_services.dossier_delete(dossier=draft, by=alice)  # a draft goes with its history
        assert not Dossier.objects.filter(pk=draft.pk).exists()
        kept = candidates_services.dossier_create(
            by=alice, candidate=candidate, referentiel=rncp, voie_acces="VAE"
        )
        candidates_services.dossier_transition(
            dossier=kept, to=Dossier.Status.ABANDON, by=alice, reason="Départ"
        )
        DossierTransition.objects.filter(dossier=kept).update(reason="")  # RGPD erasure blanks reasons
        assert Candidate.objects.filter(pk=candidate.pk).exists()
        DossierTransition.objects.filter(dossier=kept).update(by=None)  # the author's on_delete=SET_NULL
        assert list(DossierTransition.objects.filter(dossier=kept).values_list("by_id", flat=True)) == [
            None,
            None,
        ]
        _refused(
            "historique d'un dossier", action=lambda: DossierTransition.objects.filter(dossier=kept).delete()
        )


def test_frozen_dossier_decision_and_blocs_change_only_through_a_signed_rectification(
    org_a, alice, referentiels, panel
):
    from candidates.models import DossierBloc
    from juries.models import Rectification

    rncp = referentiels["rncp"]
    with tenant_context(org_a):
        jury = services.jury_create(
            by=alice, referentiel=rncp, intitule="Jury dossier figé", date=JURY_DATE, lieu="Lyon"
        )
        compose_rncp(jury)
        dossier = ready_dossier(alice, rncp, nom_naissance="Fige", prenom1="Léa")
        services.jury_dossiers_add(jury=jury, by=alice, dossiers=[dossier])
        services.jury_open(jury=jury, by=alice)
        services.decisions_accept_all(jury=jury, by=panel["pro1@test.local"][0])
        pv = services.jury_close(jury=jury, by=panel["presidente@test.local"][0])
        sign_all(pv, panel)
        dossier = Dossier.objects.get(pk=dossier.pk)
        assert dossier.decision == "certifie"
        bloc = DossierBloc.objects.filter(dossier=dossier).select_related("bloc").first()

        # ORM, as the application role
        _refused("figée", action=lambda: Dossier.objects.filter(pk=dossier.pk).update(decision="ajourne"))
        dossier.decision = "partiel"
        _refused("figée", action=lambda: dossier.save(update_fields=["decision"]))
        _refused("figée", action=lambda: DossierBloc.objects.filter(pk=bloc.pk).update(acquis=False))
        _refused("figée", action=lambda: DossierBloc.objects.filter(pk=bloc.pk).delete())
        # raw SQL, including an unscoped statement over the whole table
        _refused("figée", "UPDATE candidates_dossier SET decision = 'ajourne' WHERE id = %s", [dossier.pk])
        _refused("figée", "UPDATE candidates_dossier SET date_deliberation = NULL, decision = 'partiel'")
        _refused(
            "figée", "UPDATE candidates_dossierbloc SET acquis = false WHERE dossier_id = %s", [dossier.pk]
        )
        _refused("figée", "DELETE FROM candidates_dossierbloc WHERE dossier_id = %s", [dossier.pk])
        # no signature can be added to the complete PV
        _refused(
            "entièrement signé",
            "INSERT INTO juries_signature (organisation_id, public_id, proces_verbal_id, member_id, user_id, "
            "signed_at, sha256, second_facteur) SELECT organisation_id, gen_random_uuid(), proces_verbal_id, "
            "member_id, user_id, now(), sha256, 'totp' FROM juries_signature WHERE proces_verbal_id = %s LIMIT 1",
            [pv.pk],
        )
        # a rectification awaiting its signatures opens nothing
        decision = Decision.objects.get(jury=jury)
        other_blocs = [b.code for b in rncp.blocs.all() if b.code != bloc.bloc.code]
        rect = services.rectification_create(
            decision=decision,
            by=alice,
            nouvelle_decision="partiel",
            blocs_valides=other_blocs,
            motif="Erreur de report du bloc",
        )
        _refused("figée", action=lambda: Dossier.objects.filter(pk=dossier.pk).update(decision="partiel"))
        # …the signed one goes through, with its own values only
        sign_all(rect.proces_verbal, panel)
        assert Rectification.objects.get(pk=rect.pk).applied_at is not None
        dossier = Dossier.objects.get(pk=dossier.pk)
        assert dossier.decision == "partiel"
        assert not DossierBloc.objects.get(pk=bloc.pk).acquis
        _refused("figée", action=lambda: Dossier.objects.filter(pk=dossier.pk).update(decision="certifie"))
