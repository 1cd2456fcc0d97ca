"""Demo world, part 1: organisations and one user per role (logins listed in the README)."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from organisations.models import Organisation
from organisations.roles import Role
from organisations.services import membership_add

DEMO_PASSWORD = "demo-certif-2026"

# (kind, slug, name, SIRET, ville: where the body delivers its documents, « Délivré à … »)
ORGANISATIONS = [
    (
        "certificateur",
        "uimm",
        "UIMM — Union des industries et métiers de la métallurgie",
        "77567227200030",
        "Paris",
    ),
    ("certificateur", "cci-france", "CCI France", "18002001500011", "Paris"),
    ("certificateur", "cpnef-papier-carton", "CPNEF Intersecteur Papier-Carton", "", "Paris"),
    ("centre", "uimm-idf", "UIMM Île-de-France — centre d'examen", "78430427300028", "Paris"),
    ("centre", "cci-campus-lyon", "CCI Campus Lyon Métropole", "13002479000027", "Lyon"),
]

# (email, first name, last name, [(org slug, role)])
USERS = [
    ("certificateur@uimm.demo", "Claire", "Martin", [("uimm", Role.CERTIFICATEUR)]),
    ("certificateur@cci-france.demo", "Hugo", "Bernard", [("cci-france", Role.CERTIFICATEUR)]),
    ("certificateur@cpnef.demo", "Inès", "Petit", [("cpnef-papier-carton", Role.CERTIFICATEUR)]),
    ("admin@uimm-idf.demo", "Sophie", "Durand", [("uimm-idf", Role.ADMIN)]),
    ("gestionnaire@uimm-idf.demo", "Julien", "Leroy", [("uimm-idf", Role.GESTIONNAIRE)]),
    ("evaluateur@uimm-idf.demo", "Nadia", "Moreau", [("uimm-idf", Role.EVALUATEUR)]),
    ("tuteur@uimm-idf.demo", "Pierre", "Fournier", [("uimm-idf", Role.TUTEUR)]),
    ("jury@uimm-idf.demo", "Anne", "Girard", [("uimm-idf", Role.JURY)]),
    ("admin@cci-lyon.demo", "Marc", "Lambert", [("cci-campus-lyon", Role.ADMIN)]),
    ("gestionnaire@cci-lyon.demo", "Camille", "Roux", [("cci-campus-lyon", Role.GESTIONNAIRE)]),
    ("evaluateur@cci-lyon.demo", "Karim", "Bonnet", [("cci-campus-lyon", Role.EVALUATEUR)]),
    ("tuteur@cci-lyon.demo", "Laura", "François", [("cci-campus-lyon", Role.TUTEUR)]),
    ("jury@cci-lyon.demo", "Olivier", "Mercier", [("cci-campus-lyon", Role.JURY)]),
    (
        "multi@demo.demo",
        "Léa",
        "Garnier",
        [("uimm-idf", Role.GESTIONNAIRE), ("cci-campus-lyon", Role.GESTIONNAIRE)],
    ),
]


def seed(stdout=None) -> dict:
    User = get_user_model()
    orgs = {}
    for kind, slug, name, siret, ville in ORGANISATIONS:
        orgs[slug], _ = Organisation.objects.update_or_create(
            slug=slug, defaults={"kind": kind, "name": name, "siret": siret, "ville": ville}
        )
    users = {}
    for email, first, last, roles in USERS:
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        for slug, role in roles:
            membership_add(user=user, organisation=orgs[slug], role=role)
        users[email] = user
    if not User.objects.filter(email="superadmin@demo.demo").exists():
        User.objects.create_superuser(
            "superadmin@demo.demo", DEMO_PASSWORD, first_name="Super", last_name="Admin"
        )
        EmailAddress.objects.update_or_create(
            email="superadmin@demo.demo",
            defaults={
                "user": User.objects.get(email="superadmin@demo.demo"),
                "verified": True,
                "primary": True,
            },
        )
    return {"organisations": orgs, "users": users}
