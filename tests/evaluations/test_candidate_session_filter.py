"""The candidate list filters by session d'examen (page, API, export); a malformed session is a message."""

from evaluations import services
from tests.builders import bloc_epreuve
from tests.evaluations.conftest import inscribed_dossier


def test_candidate_list_filters_by_session(in_a, alice, referentiels, client_for, api_for):
    ref = referentiels["rncp"]
    epreuve = bloc_epreuve(alice, ref)
    sitting = inscribed_dossier(alice, ref, nom_naissance="Convoque")
    inscribed_dossier(alice, ref, nom_naissance="Ailleurs")
    services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[sitting])
    session_id = str(epreuve.session.public_id)

    page = client_for(alice).get(f"/o/centre-a/candidats/?session={session_id}").content.decode()
    assert "Session d&#x27;examen" in page or "Session d'examen" in page
    assert "CONVOQUE" in page.upper() and "AILLEURS" not in page.upper()
    api = api_for(alice).get(f"/api/v1/o/centre-a/dossiers/?session={session_id}").json()
    assert [d["id"] for d in api["results"]] == [str(sitting.public_id)]
    export = b"".join(
        client_for(alice).get(f"/o/centre-a/candidats/export.csv?session={session_id}").streaming_content
    )
    assert b"Convoque".upper() in export.upper() and b"AILLEURS" not in export.upper()

    bad = client_for(alice).get("/o/centre-a/candidats/?session=pas-une-session").content.decode()
    assert "Session inconnue" in bad and "CONVOQUE" not in bad.upper()
