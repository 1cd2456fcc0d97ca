"""RGPD: the candidate's export holds what evaluations keep about them; erasure removes it per the rule."""

import json
import zipfile

from candidates import rgpd
from candidates import services as candidates_services
from candidates.models import Dossier
from evaluations import services
from evaluations.models import InscriptionEpreuve, Resultat
from organisations.models import AuditEvent
from tests.builders import bloc_epreuve
from tests.evaluations.conftest import inscribed_dossier


def _evaluated(alice, ref):
    epreuve = bloc_epreuve(alice, ref)
    dossier = inscribed_dossier(alice, ref)
    [inscription] = services.epreuve_candidats_add(epreuve=epreuve, by=alice, dossiers=[dossier])
    services.presence_record(
        inscription=inscription,
        by=alice,
        presence="absent_justifie",
        motif="certificat_medical",
        justification="Hospitalisation du 12 au 14 mai",
    )
    services.resultat_record(
        dossier=dossier,
        by=alice,
        bloc=ref.blocs.get(code="RNCP36390BC01"),
        controle_continu=55,
        commentaire="Analyse du besoin client très solide",
    )
    return dossier, inscription


def test_export_holds_results_attendance_and_their_texts(in_a, alice, referentiels):
    dossier, _ = _evaluated(alice, referentiels["rncp"])
    archive = zipfile.ZipFile(rgpd.candidate_rgpd_export(candidate=dossier.candidate, by=alice))
    data = json.loads(archive.read("donnees.json"))
    [resultat] = data["evaluations"]["resultats"]
    assert (
        resultat["cible"] == "RNCP36390BC01"
        and resultat["commentaire"] == "Analyse du besoin client très solide"
    )
    assert resultat["controle_continu"] == "55.00" and resultat["dossier"] == str(dossier.public_id)
    [presence] = data["evaluations"]["presences"]
    assert (
        presence["presence"] == "absent_justifie"
        and presence["justification"] == "Hospitalisation du 12 au 14 mai"
    )
    assert "résultats" in archive.read("LISEZMOI.txt").decode()


def test_erasure_removes_justifications_and_comments_without_certification(in_a, alice, referentiels):
    dossier, inscription = _evaluated(alice, referentiels["rncp"])
    candidates_services.dossier_transition(
        dossier=dossier, to=Dossier.Status.ABANDON, by=alice, reason="Départ"
    )
    rgpd.candidate_erase(candidate=dossier.candidate, by=alice, reason="Demande du candidat du 02/12")
    inscription = InscriptionEpreuve.objects.get(pk=inscription.pk)
    resultat = Resultat.objects.get(dossier=dossier)
    assert inscription.justification == "" and inscription.motif_absence == "certificat_medical"
    assert resultat.commentaire == "" and resultat.controle_continu == 55  # the mark stays, its text goes
    event = AuditEvent.objects.filter(action="candidate.erase").get()
    assert "1 justification(s) d'absence effacée(s)" in event.message
    assert "1 commentaire(s) d'évaluation effacé(s)" in event.message
