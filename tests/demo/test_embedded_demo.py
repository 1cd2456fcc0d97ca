"""The README's first command on its own terms: the embedded mode (SQLite, eager Celery).

The suite runs on PostgreSQL; a lookup PostgreSQL has and SQLite lacks (a JSON ``contains``)
once broke ``make demo`` without any test noticing. This builds the demo on a fresh SQLite file,
in a subprocess with the embedded settings, then has the demo évaluateur mark a capacité (the
évaluateur's scope check reads the épreuves' JSON list of capacités).
"""

import os
import subprocess
import sys

from tests.conftest import ROOT

MARK_AS_EVALUATEUR = """
from candidates.models import Dossier
from evaluations import services
from evaluations.models import Epreuve, Resultat
from organisations.models import Membership
from organisations.tenancy import tenant_context
from referentiels.models import Capacite

m = Membership.objects.select_related("organisation", "user").get(user__email="evaluateur@uimm-idf.demo")
with tenant_context(m.organisation):
    epreuve = next(e for e in Epreuve.objects.filter(evaluateurs__user=m.user) if e.capacites)
    dossier = Dossier.objects.filter(
        inscriptions_epreuves__epreuve=epreuve, status=Dossier.Status.EN_EVALUATION
    ).first() or Dossier.objects.filter(status=Dossier.Status.EN_EVALUATION).first()
    capacite = Capacite.objects.get(referentiel=dossier.referentiel, code=epreuve.capacites[-1])
    services.resultat_record(dossier=dossier, by=m, capacite=capacite, etat="acquis", epreuve=epreuve)
    print("marked", Resultat.objects.get(dossier=dossier, capacite=capacite).etat)
"""


CANDIDATE_SPACE = """
from accounts.models import User
from espace_candidat.selectors import own_dossiers_everywhere

centres = own_dossiers_everywhere(User.objects.get(email="candidat@cci-lyon.demo"))
print("espace", [(c["organisation"].slug, [r["dossier"].decision for r in c["dossiers"]]) for c in centres])
"""


def test_make_demo_builds_on_sqlite_and_the_evaluateur_marks(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_MIGRATE_URL", "REDIS_URL")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    manage("migrate", "--noinput")
    assert "superadmin@demo.demo" in manage("demo_seed")
    assert "marked acquis" in manage("shell", "-c", MARK_AS_EVALUATEUR)
    # the demo candidate reads their own certified dossier in their space
    assert "espace [('cci-campus-lyon', ['certifie'])]" in manage("shell", "-c", CANDIDATE_SPACE)
