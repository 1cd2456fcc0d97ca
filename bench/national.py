# ruff: noqa: S608 - the SQL below is built from constants of this file (no input).
"""The national bench world, seeded through PostgreSQL's set-based paths (INSERT … SELECT
generate_series), as the owner role, in one transaction.

``BENCH_DOSSIERS`` ≤ 10,000: every dossier in the big centre (today's world). Above: the big
centre holds a fifth of them (200,000 of 1,000,000) and ``BENCH_CENTRES`` − 1 other centres
(default 999) share the rest. In every centre, in the proportions of a live platform:

- one candidate per dossier (names drawn from common French surnames × syllables, so searches
  by name are selective as in real life), dossiers spread over six statuses;
- the four blocs visés of each dossier, one transition per dossier, one audit event per dossier;
- bloc results for dossiers in evaluation, ready for the jury or deliberated;
- juries of 100 deliberated dossiers (signed), one decision per deliberated dossier;
- a numbered parchemin for each certified dossier (issued by a separate bench certificateur so
  that the jury-day benchmarks number from 1 for CCI France).

The owner role is subject to row-level security too (FORCE): the seed lifts FORCE and the
user triggers (frozen juries, append-only rows) on the tables it fills, inside its
transaction, and puts them back before committing. The measured requests then run as the
application role, under row-level security.
"""

from __future__ import annotations

import os
import time

TABLES = (
    "candidates_candidate",
    "candidates_dossier",
    "candidates_dossierbloc",
    "candidates_dossiertransition",
    "evaluations_resultat",
    "juries_jury",
    "juries_decision",
    "documents_issueddocument",
    "organisations_auditevent",
)

SURNAMES = (
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine "
    "Rousseau Vincent Muller Lefevre Faure Andre Mercier Blanc Guerin Boyer Garnier Chevalier "
    "Francois Legrand Gauthier Garcia Perrin Robin Clement Morin Nicolas Henry Roussel Mathieu"
).split()
FIRST_NAMES = (
    "Camille Léa Manon Chloé Emma Inès Jade Louise Lina Sarah Lucas Hugo Louis Jules Gabriel "
    "Arthur Adam Nathan Raphaël Léo Thomas Maël Noah Ethan Paul Zoé Alice Anna Rose Mila"
).split()
SYLLABES = "ba be bi bo da de di do ga ge la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi vo".split()


def _sql_array(values) -> str:
    return "(ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[])"


MEDIUM = 10_000  # above 10,000 dossiers, one other centre holds this many (lines compare with it)


def plan(total: int) -> tuple[int, int]:
    """(dossiers in the big centre, number of other centres)."""
    if total <= MEDIUM:
        return total, 0
    return total // 5, int(os.environ.get("BENCH_CENTRES", 1000)) - 1


def _drop_secondary_indexes_and_foreign_keys(cur) -> list[str]:
    """Drop the filled tables' foreign keys and indexes that back no constraint; return the
    statements that recreate them exactly (names and definitions read from the catalog)."""
    rebuild = []
    for table in TABLES:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for name, definition in cur.fetchall():
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        for name, definition in cur.fetchall():
            if " UNIQUE " in definition:
                continue  # unique indexes enforce rules: they stay
            cur.execute(f'DROP INDEX "{name}"')
            rebuild.append(definition)
    return rebuild


def seed_national(*, big_id: int, referentiel_id: int, total: int, user_id: int) -> dict:
    """Fill the bench database (owner role, one transaction); returns counts and seconds."""
    import psycopg

    url = os.environ["DATABASE_MIGRATE_URL"]
    n_big, n_centres = plan(total)
    medium_id = None
    started = time.perf_counter()
    steps: dict[str, float] = {}
    counts: dict[str, int] = {}
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn, conn.cursor() as cur:

        def step(name: str, sql: str, params=None):
            t0 = time.perf_counter()
            for key, value in (params or {}).items():  # integers only: inlined (the SQL uses %)
                sql = sql.replace(f"%({key})s", str(int(value)))
            cur.execute(sql)
            steps[name] = round(time.perf_counter() - t0, 1)
            if cur.rowcount is not None and cur.rowcount >= 0:
                counts[name] = cur.rowcount

        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks when FORCE comes back
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute("SET LOCAL work_mem = '64MB'")
        for table in TABLES:
            cur.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        # Bulk load as a restore does: secondary indexes and foreign keys of the filled tables
        # are dropped, then rebuilt in one pass each (the keys validated by one join each).
        rebuild = _drop_secondary_indexes_and_foreign_keys(cur)
        # Centres and how many dossiers each holds.
        cur.execute("CREATE TEMP TABLE bench_plan (org_id bigint, n int) ON COMMIT DROP")
        cur.execute("INSERT INTO bench_plan VALUES (%s, %s)", [big_id, n_big])
        if n_centres:
            rest = total - n_big - MEDIUM  # the first other centre holds MEDIUM dossiers
            step(
                "centres",
                """
                WITH o AS (
                    INSERT INTO organisations_organisation (public_id, kind, slug, name, siret, ville, is_active, created_at)
                    SELECT gen_random_uuid(), 'centre', 'centre-' || g, 'Centre de formation ' || g, '', 'Lyon', true, now()
                    FROM generate_series(1, %(n)s) g
                    RETURNING id
                )
                INSERT INTO bench_plan
                SELECT id, CASE WHEN row_number() OVER (ORDER BY id) = 1 THEN %(medium)s
                    ELSE %(base)s + CASE WHEN row_number() OVER (ORDER BY id) <= %(extra)s + 1 THEN 1 ELSE 0 END END
                FROM o
                """,
                {
                    "n": n_centres,
                    "medium": MEDIUM,
                    "base": rest // (n_centres - 1),
                    "extra": rest % (n_centres - 1),
                },
            )
            cur.execute("SELECT min(id) FROM organisations_organisation WHERE slug LIKE 'centre-%'")
            medium_id = cur.fetchone()[0]
        # A certificateur of its own for the seeded parchemins (numbers never meet the bench's).
        cur.execute(
            "INSERT INTO organisations_organisation (public_id, kind, slug, name, siret, ville, is_active, created_at) "
            "VALUES (gen_random_uuid(), 'certificateur', 'bench-national', 'Certificateur national (bench)', '', '', true, now()) "
            "RETURNING id"
        )
        (certificateur_id,) = cur.fetchone()
        cur.execute(
            "CREATE TEMP TABLE bench_seq ON COMMIT DROP AS "
            "SELECT p.org_id, g AS i FROM bench_plan p, generate_series(1, p.n) g"
        )
        surnames, firsts, syll = _sql_array(SURNAMES), _sql_array(FIRST_NAMES), _sql_array(SYLLABES)
        ns, nf, nsy = len(SURNAMES), len(FIRST_NAMES), len(SYLLABES)
        # Candidates and their dossier (status by position: 10 % brouillon, 20 % inscrit,
        # 25 % en évaluation, 15 % prêt pour le jury, 25 % délibéré, 5 % abandon).
        step(
            "candidates",
            f"""
            INSERT INTO candidates_candidate (public_id, civilite, sexe, nom_naissance, nom_usage, prenom1,
                prenom2, prenom3, naissance_annee, naissance_mois, naissance_jour, naissance_commune,
                naissance_code_insee, naissance_pays_code, naissance_pays, email, telephone, adresse,
                code_postal, ville, created_at, updated_at, organisation_id)
            SELECT gen_random_uuid(), CASE WHEN h % 2 = 0 THEN 'MME' ELSE 'M' END,
                CASE WHEN h % 2 = 0 THEN 'F' ELSE 'M' END,
                upper({surnames}[1 + h % {ns}] || {syll}[1 + (h / {ns}) % {nsy}] || {syll}[1 + (h / {ns * nsy}) % {nsy}]),
                '', {firsts}[1 + (h / 7) % {nf}], '', '', 1970 + h % 35, 1 + h % 12, 1 + h % 28,
                'Lyon', '69123', '', '', 'c' || org_id || '-' || i || '@exemple.fr', '', '', '', '',
                now() - make_interval(secs => i * 60), now(), org_id
            FROM (SELECT org_id, i, ((i * 2654435761::bigint + org_id * 40503) % 4294967291) AS h FROM bench_seq) s
            ORDER BY org_id, i
            """,
        )
        step(
            "dossiers",
            """
            INSERT INTO candidates_dossier (public_id, status, decision, voie_acces, statut_professionnel,
                amenagement_tiers_temps, amenagement_pauses, amenagement_secretaire, amenagement_interprete,
                amenagement_equipement, amenagement_note, date_inscription, attempt, created_at, updated_at,
                candidate_id, organisation_id, referentiel_id, exemption_epreuve_pro, exemption_justification,
                reprise)
            SELECT gen_random_uuid(), s.status,
                CASE WHEN s.status = 'delibere' THEN (CASE WHEN c.id % 5 = 0 THEN 'ajourne' ELSE 'certifie' END) ELSE '' END,
                CASE WHEN c.id % 3 = 0 THEN 'VAE' ELSE 'FORMATION_INITIALE_APPRENTISSAGE' END,
                'apprenti', c.id % 20 = 0, false, false, false, false, '', c.created_at::date, 1,
                c.created_at, c.created_at, c.id, c.organisation_id, %(ref)s, false, '', ''
            FROM candidates_candidate c
            CROSS JOIN LATERAL (SELECT CASE
                WHEN c.id % 20 < 2 THEN 'brouillon' WHEN c.id % 20 < 6 THEN 'inscrit'
                WHEN c.id % 20 < 11 THEN 'en_evaluation' WHEN c.id % 20 < 14 THEN 'pret_pour_jury'
                WHEN c.id % 20 < 19 THEN 'delibere' ELSE 'abandon' END AS status) s
            WHERE c.organisation_id IN (SELECT org_id FROM bench_plan)
            ORDER BY c.id
            """,
            {"ref": referentiel_id},
        )
        cur.execute("SELECT count(*) FROM candidates_dossier")
        step(
            "dossier blocs",
            """
            INSERT INTO candidates_dossierbloc (public_id, acquis, acquis_anterieur, bloc_id, dossier_id, organisation_id,
                portefeuille, portefeuille_evaluateur, portefeuille_justification)
            SELECT gen_random_uuid(), d.decision = 'certifie', false, b.id, d.id, d.organisation_id, false, '', ''
            FROM candidates_dossier d JOIN referentiels_bloc b ON b.referentiel_id = d.referentiel_id
            WHERE d.organisation_id IN (SELECT org_id FROM bench_plan)
            ORDER BY d.id, b.id
            """,
        )
        step(
            "transitions",
            """
            INSERT INTO candidates_dossiertransition (public_id, from_status, to_status, at, reason, by_id, dossier_id, organisation_id)
            SELECT gen_random_uuid(), 'brouillon', d.status, d.created_at, '', %(user)s, d.id, d.organisation_id
            FROM candidates_dossier d
            WHERE d.status <> 'brouillon' AND d.organisation_id IN (SELECT org_id FROM bench_plan)
            """,
            {"user": user_id},
        )
        step(
            "results",
            """
            INSERT INTO evaluations_resultat (public_id, kind, composante, etat, points, absence_non_justifiee,
                criteres_observes, commentaire, valide, updated_at, bloc_id, dossier_id, organisation_id,
                motivation_commission, commission_membres, absence_motif, cc_absence_motif, cc_absence_non_justifiee)
            SELECT gen_random_uuid(), 'bloc', '', CASE WHEN d.decision = 'ajourne' THEN 'non_acquis' ELSE 'acquis' END,
                10 + (d.id + b.id) % 10, false, '[]'::jsonb, '', d.status = 'delibere', d.updated_at, b.id, d.id,
                d.organisation_id, '', '', '', '', false
            FROM candidates_dossier d JOIN referentiels_bloc b ON b.referentiel_id = d.referentiel_id
            WHERE d.status IN ('en_evaluation', 'pret_pour_jury', 'delibere')
              AND d.organisation_id IN (SELECT org_id FROM bench_plan)
            """,
        )
        # Juries of 100 deliberated dossiers per centre, signed; one decision per dossier.
        cur.execute(
            """
            CREATE TEMP TABLE bench_delibere ON COMMIT DROP AS
            SELECT d.id, d.organisation_id, d.decision, d.candidate_id,
                   (row_number() OVER (PARTITION BY d.organisation_id ORDER BY d.id) - 1) AS k
            FROM candidates_dossier d
            WHERE d.status = 'delibere' AND d.organisation_id IN (SELECT org_id FROM bench_plan)
            """
        )
        step(
            "juries",
            """
            INSERT INTO juries_jury (public_id, intitule, date, lieu, date_dernier_examen, status, created_at,
                opened_at, closed_at, frozen_at, organisation_id, referentiel_id)
            SELECT gen_random_uuid(), 'Jury ' || (k / 100 + 1), DATE '2025-06-01' + (k / 100)::int, 'Lyon',
                DATE '2025-05-15', 'signe', now(), now(), now(), now(), organisation_id, %(ref)s
            FROM bench_delibere WHERE k % 100 = 0
            """,
            {"ref": referentiel_id},
        )
        step(
            "decisions",
            """
            INSERT INTO juries_decision (public_id, proposition, proposition_blocs, raisons, details, decision,
                blocs_valides, motivation, decided_at, "order", dossier_id, organisation_id, jury_id)
            SELECT gen_random_uuid(), b.decision, '[]'::jsonb, '[]'::jsonb, '{}'::jsonb, b.decision, '[]'::jsonb,
                '', now(), b.k % 100, b.id, b.organisation_id, j.id
            FROM bench_delibere b
            JOIN juries_jury j ON j.organisation_id = b.organisation_id AND j.intitule = 'Jury ' || (b.k / 100 + 1)
            """,
        )
        step(
            "parchemins",
            """
            INSERT INTO documents_issueddocument (public_id, kind, number, verification_code, idempotency_key,
                group_key, holder_name, title, issued_on, context, file, sha256, size, status, attempts,
                last_error, revocation_reason, version, created_at, updated_at, certificateur_id, organisation_id,
                issued_by_id, issued_by_name)
            SELECT gen_random_uuid(), 'parchemin', 'N-' || b.id, upper(substr(md5(b.id::text), 1, 16)),
                'seed-parchemin-' || b.id, 'seed', c.prenom1 || ' ' || c.nom_naissance, 'Parchemin',
                DATE '2025-06-15', '{}'::jsonb, 'documents/seed/' || b.id || '.pdf', md5(b.id::text) || md5(b.id::text),
                90000, 'ready', 1, '', '', 1, now(), now(), %(cert)s, b.organisation_id,
                b.organisation_id, o.name
            FROM bench_delibere b JOIN candidates_candidate c ON c.id = b.candidate_id
            JOIN organisations_organisation o ON o.id = b.organisation_id
            WHERE b.decision = 'certifie'
            """,
            {"cert": certificateur_id},
        )
        step(
            "audit events",
            """
            INSERT INTO organisations_auditevent (public_id, action, object_type, object_id, message, at, actor_id, organisation_id)
            SELECT gen_random_uuid(), 'dossier.create', 'candidates.Dossier', d.public_id::text, '', d.created_at,
                %(user)s, d.organisation_id
            FROM candidates_dossier d WHERE d.organisation_id IN (SELECT org_id FROM bench_plan)
            """,
            {"user": user_id},
        )
        t0 = time.perf_counter()
        for sql in rebuild:
            cur.execute(sql)
        steps["indexes and foreign keys"] = round(time.perf_counter() - t0, 1)
        for table in TABLES:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cur.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        conn.commit()
        t0 = time.perf_counter()
        conn.autocommit = True
        cur.execute("VACUUM (ANALYZE)")
        steps["vacuum analyze"] = round(time.perf_counter() - t0, 1)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "big": n_big,
        "centres": n_centres + 1,
        "medium_id": medium_id,
        "steps": steps,
        "rows": counts,
    }
