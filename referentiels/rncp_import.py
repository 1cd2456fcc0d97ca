"""Import France compétences RNCP/RS exports into draft référentiels (Django side).

One pass over the stream (``referentiels.rncp.Checked``) validates and writes inside one
transaction: fiches are written as they are read until the file shows an error (or a write is
refused); the reading then goes on without writing, to report every error, and the transaction
is rolled back — any error and nothing is written. Memory stays flat: fiches are read in chunks
of :data:`CHUNK` and a chunk is dropped once written. Every write is set-based
per chunk, never per fiche: one query for the chunk's existing versions (with the fingerprint of
the drafts it may leave as they are), one upsert of the registrations, one bulk UPDATE of the
replaced drafts' headers and a few bulk inserts for all structures, one UPDATE storing the
fingerprints, one lookup and at most one insert and one update for the habilitations.

Each fiche's fingerprint (:func:`fiche_fingerprint`, a hash of what the import writes for it)
is kept in the draft's ``import_empreinte`` with an SQL digest of what the draft then holds
(``import_contenu``): a draft that
still holds what the same fiche wrote is skipped, so re-importing an unchanged export writes
nothing; a draft edited since (its digest differs) is rewritten as before.
"""

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection, transaction

from core.errors import ApplicationError
from organisations.models import Organisation
from referentiels import rncp
from referentiels.exchange import FORMAT
from referentiels.models import Habilitation, Referentiel
from referentiels.services import (
    referentiels_create_many,
    referentiels_replace_drafts_many,
)

ORGANISER = {"HABILITATION_ORGANISER", "HABILITATION_ORGA_FORM"}


@dataclass
class FicheSummary:
    code: str
    intitule: str
    blocs: int
    capacites: int
    action: str  # "création" | "mise à jour du brouillon" | "nouvelle version"
    version: int


@dataclass
class SkippedFiche:
    code: str
    intitule: str
    raison: str


@dataclass
class RncpImportReport:
    fiches: list[FicheSummary] = field(default_factory=list)
    total: int = 0  # fiches imported (or, in a dry run, to be imported)
    habilitations: int = 0
    dry_run: bool = False
    #: Fiches of the export the importing organisation does not certify: never written.
    skipped: list[SkippedFiche] = field(default_factory=list)
    skipped_total: int = 0


def name_normalise(name: str) -> str:
    """« CCI France », "CCI FRANCE" and "C.C.I. france" compare equal: accents, case, spaces and
    punctuation are dropped (the export writes "L' INSERTION" where the organisation writes "l'insertion")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9A-Za-z]+", "", text).upper()


def fiche_certificateur_of(
    fiche: rncp.Fiche, organisation: Organisation
) -> tuple[rncp.Certificateur | None, str]:
    """The entry of the fiche's CERTIFICATEURS that is ``organisation``, or ``None`` and why not.

    An entry is the organisation when both carry a SIRET and they are equal; when either has none
    (SIRET_CERTIFICATEUR is missing on about a third of the rows), when the normalised names are
    equal. An entry marked ``Inactif`` no longer certifies the fiche.
    """
    own_siret, own_name = organisation.siret.strip(), name_normalise(organisation.name)
    inactive = None
    for entry in fiche.certificateurs:
        siret = entry.siret.strip()
        same = (
            siret == own_siret
            if siret and own_siret
            else bool(own_name) and name_normalise(entry.nom) == own_name
        )
        if not same:
            continue
        if entry.etat == "Inactif":
            inactive = entry
            continue
        return entry, ""
    if inactive is not None:
        return None, "l'organisation figure parmi les certificateurs de la fiche, mais comme inactive"
    listed = ", ".join(
        f"{c.nom.strip()}{f' (SIRET {c.siret})' if c.siret else ''}" for c in fiche.certificateurs
    )
    return None, f"certifiée par {listed}" if listed else "la fiche ne déclare aucun certificateur"


def _capacites(fiche: rncp.Fiche) -> list[tuple[rncp.BlocCompetences, list[dict]]]:
    """Per bloc, the capacités split from LISTE_COMPETENCES (one capacité = the bloc when it cannot split)."""
    used: set[str] = set()
    out: list[tuple[rncp.BlocCompetences, list[dict]]] = []
    blocs = fiche.blocs or [
        rncp.BlocCompetences(
            code=f"{fiche.numero_fiche}-BLOC",
            intitule=fiche.intitule,
            liste_competences=fiche.capacites_attestees,
        )
    ]
    for bloc in blocs:
        pieces = bloc.capacites if fiche.blocs else rncp.split_competences(fiche.capacites_attestees)
        caps = []
        for i, cap in enumerate(pieces or [rncp.Capacite(code="C1", intitule=bloc.intitule)], start=1):
            code = cap.code or f"C{i}"
            if not any(ch.isalpha() for ch in code) or code in used:
                # Bare numbers ("1", "2.3") restart in every bloc: qualify them by the bloc.
                code = f"{bloc.code}.{code}"
            while code in used:
                code = f"{code}-{i}"
            used.add(code)
            caps.append(
                {
                    "code": code[:60],
                    "intitule": cap.intitule.strip() or bloc.intitule,
                    "conditions": "",
                    "criteres": [],
                    "modalites": [],
                }
            )
        out.append((bloc, caps))
    return out


def fiche_to_document(
    fiche: rncp.Fiche, *, version: int, certificateur: rncp.Certificateur | None = None
) -> dict:
    if certificateur is None:
        certificateur = fiche.certificateurs[0] if fiche.certificateurs else None
    blocs = _capacites(fiche)
    enregistre = fiche.date_publication or fiche.date_decision or fiche.date_effet
    siret = (
        certificateur.siret
        if certificateur and len(certificateur.siret) == 14 and certificateur.siret.isdigit()
        else None
    )
    return {
        "format": FORMAT,
        "code": fiche.numero_fiche,
        "kind": fiche.repertoire,
        "version": version,
        "intitule": fiche.intitule.strip()[:800],
        "certificateur": {
            "nom": (certificateur.nom.strip() if certificateur else "Certificateur inconnu")[:300],
            "siret": siret,
        },
        "niveau_national": fiche.niveau_europeen.removeprefix("NIV"),
        "niveau_europeen": fiche.niveau_europeen,
        "codes_nsf": [{"code": c.code, "libelle": c.libelle} for c in fiche.codes_nsf],
        "codes_rome": [{"code": c.code, "libelle": c.libelle} for c in fiche.codes_rome],
        "objectif": fiche.objectifs_contexte or fiche.activites_visees,
        "date_enregistrement": enregistre.isoformat() if enregistre else None,
        "date_fin_enregistrement": fiche.date_fin_enregistrement.isoformat()
        if fiche.date_fin_enregistrement
        else None,
        "blocs": [
            {
                "code": bloc.code,
                "intitule": bloc.intitule,
                "implicite": not fiche.blocs,
                "modalites": [],
                "capacites": caps,
            }
            for bloc, caps in blocs
        ],
        "activites": [],
        # The export carries no règle d'obtention: a draft validates by blocs until the
        # certificateur edits it.
        "regle": {"type": "tous_blocs"},
    }


def fiche_enregistrement(fiche: rncp.Fiche) -> dict | None:
    """The registration facts of a fiche (``Enregistrement`` fields), or ``None`` when the
    export lacks the legal reference a parchemin must print (then the certificateur enters it)."""
    from referentiels.services import NSF_PATTERN, NUMERO_PATTERN

    numero = fiche.numero_fiche.strip().upper()
    repertoire = fiche.repertoire
    if not NUMERO_PATTERN[repertoire].match(numero):
        return None
    de_droit = "droit" in fiche.type_enregistrement.lower()
    reference_jo = fiche.publication_jo.strip()[:500]
    if de_droit and not reference_jo and fiche.date_dernier_jo:
        reference_jo = f"Journal officiel du {fiche.date_dernier_jo:%d/%m/%Y}"
    if (de_droit and not reference_jo) or (not de_droit and fiche.date_decision is None):
        return None
    niveau = fiche.niveau_europeen.upper().removeprefix("NIV")
    duree = fiche.duree_enregistrement
    return {
        "repertoire": repertoire,
        "numero": numero,
        "type_enregistrement": "de_droit" if de_droit else "sur_demande",
        "date_decision": None if de_droit else fiche.date_decision,
        "duree_ans": duree if duree and 1 <= duree <= 10 else None,
        "reference_jo": reference_jo if de_droit else "",
        "date_fin": fiche.date_fin_enregistrement,
        "niveau": int(niveau)
        if repertoire == "RNCP" and niveau.isdigit() and 1 <= int(niveau) <= 8
        else None,
        "codes_nsf": [
            {"code": c.code.strip(), "libelle": c.libelle.strip()[:200]}
            for c in fiche.codes_nsf
            if NSF_PATTERN.match(c.code.strip())
        ][:3],
    }


def _enregistrements_write(rows: list[dict], certificateur: Organisation) -> None:
    from referentiels.models import Enregistrement

    if not rows:
        return
    fields = [f for f in rows[0] if f != "code"] + ["certificateur", "source"]
    Enregistrement.objects.bulk_create(
        [Enregistrement(**row, certificateur=certificateur, source="import") for row in rows],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=fields,
    )


def fiche_source(fiche: rncp.Fiche) -> dict:
    def day(d):
        return d.isoformat() if d else None

    return {
        "rncp": {
            "id_fiche": fiche.id_fiche,
            "abrege": {"code": fiche.abrege.code, "libelle": fiche.abrege.libelle} if fiche.abrege else None,
            "etat_fiche": fiche.etat_fiche,
            "actif": fiche.actif,
            "type_enregistrement": fiche.type_enregistrement,
            "formacodes": [{"code": c.code, "libelle": c.libelle} for c in fiche.formacodes],
            "certificateurs": [
                {"siret": c.siret, "nom": c.nom, "etat": c.etat} for c in fiche.certificateurs
            ],
            "partenaires": [
                {
                    "nom": p.nom,
                    "siret": p.siret,
                    "habilitation": p.habilitation,
                    "etat": p.etat,
                    "date_actif": day(p.date_actif),
                }
                for p in fiche.partenaires
            ],
            "activites_visees": fiche.activites_visees,
            "capacites_attestees": fiche.capacites_attestees,
            "blocs": {
                b.code: {
                    "liste_competences": b.liste_competences,
                    "modalites_evaluation": b.modalites_evaluation,
                }
                for b in fiche.blocs
            },
            "nouvelles_certifications": fiche.nouvelles_certifications,
            "anciennes_certifications": fiche.anciennes_certifications,
        }
    }


#: Fiches written per batch: one query for their existing versions, a few bulk inserts for all.
#: The import's peak memory is the largest batch (one fiche in ~100 carries dozens of partenaires),
#: not the export's size: 100 keeps 25,000 vs 2,500 fiches within 20 % (bench: 10.5 vs 8.9 MiB,
#: ratio 1.18; 200 gave 20.0 vs 16.5 MiB, 1.21).
CHUNK = 100


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: Bumped when the importer maps a fiche differently: every draft is then rewritten once.
FINGERPRINT_REVISION = 1

#: The référentiel's own columns in the digest: all but these (the header columns, listed from
#: the model: a column added later is covered). Named one by one, not ``to_jsonb(r)``, which
#: would decompress each draft's ``source`` (~20 KB of JSON) only to drop it.
_DIGEST_EXCLUDED = {
    "id",
    "public_id",
    "source",
    "import_empreinte",
    "import_contenu",
    "created_at",
    "updated_at",
    "published_at",
    "status",
    "version",
}
_DIGEST_HEADER = ", ".join(
    f'r."{f.column}"' for f in Referentiel._meta.concrete_fields if f.column not in _DIGEST_EXCLUDED
)
#: A digest of what a draft holds now (header, structure and registration; ids, status,
#: version and timestamps left out), computed in SQL for the row aliased ``r``. Stored beside
#: the fiche's fingerprint when the import writes the draft: a draft edited since (through any
#: path) no longer matches, and an unchanged export then rewrites it as before.
_DRAFT_DIGEST_SQL = """md5(concat_ws(E'\\x1e',
  jsonb_build_array(HEADER_COLUMNS)::text,
  (SELECT string_agg((to_jsonb(b) - ARRAY['id','referentiel_id'])::text, E'\\x1f' ORDER BY b."order", b.code)
     FROM referentiels_bloc b WHERE b.referentiel_id = r.id),
  (SELECT string_agg(bl.code || (to_jsonb(c) - ARRAY['id','referentiel_id','bloc_id'])::text, E'\\x1f'
            ORDER BY bl."order", bl.code, c."order", c.code)
     FROM referentiels_capacite c JOIN referentiels_bloc bl ON bl.id = c.bloc_id WHERE c.referentiel_id = r.id),
  (SELECT string_agg(c.code || (to_jsonb(k) - ARRAY['id','capacite_id'])::text, E'\\x1f'
            ORDER BY c.code, k."order", k.texte)
     FROM referentiels_critere k JOIN referentiels_capacite c ON c.id = k.capacite_id WHERE c.referentiel_id = r.id),
  (SELECT string_agg(coalesce(mb.code, '') || '/' || coalesce(mc.code, '')
            || (to_jsonb(m) - ARRAY['id','referentiel_id','bloc_id','capacite_id'])::text, E'\\x1f'
            ORDER BY mb.code, mc.code, m."order", m.intitule)
     FROM referentiels_modalite m LEFT JOIN referentiels_bloc mb ON mb.id = m.bloc_id
     LEFT JOIN referentiels_capacite mc ON mc.id = m.capacite_id WHERE m.referentiel_id = r.id),
  (SELECT string_agg((to_jsonb(a) - ARRAY['id','referentiel_id'])::text || coalesce((
            SELECT string_agg(cc.code, ',' ORDER BY cc.code) FROM referentiels_activite_capacites t
            JOIN referentiels_capacite cc ON cc.id = t.capacite_id WHERE t.activite_id = a.id), ''),
            E'\\x1f' ORDER BY a."order", a.code)
     FROM referentiels_activite a WHERE a.referentiel_id = r.id),
  (SELECT (to_jsonb(e) - ARRAY['id','public_id','created_at','updated_at'])::text
     FROM referentiels_enregistrement e WHERE e.code = r.code)
))""".replace("HEADER_COLUMNS", _DIGEST_HEADER)

_LOOKUP_SQL = (
    "SELECT r.code, r.version, r.status, r.certificateur_id,"  # noqa: S608 - constants only
    " CASE WHEN r.status = 'draft' AND r.import_empreinte <> ''"
    " AND r.import_contenu = " + _DRAFT_DIGEST_SQL + " THEN r.import_empreinte ELSE '' END"
    " FROM referentiels_referentiel r WHERE r.code = ANY(%s)"
)
_STORE_SQL_HEAD = (
    "UPDATE referentiels_referentiel r SET import_empreinte = v.fingerprint,"  # noqa: S608
    " import_contenu = " + _DRAFT_DIGEST_SQL + " FROM (VALUES "
)
_STORE_SQL_TAIL = ") AS v(code, version, fingerprint) WHERE r.code = v.code AND r.version = v.version"


def fiche_fingerprint(doc: dict, source: dict, registration: dict | None) -> str:
    """What the import would write for a fiche (its version left out), hashed."""
    content = {k: v for k, v in doc.items() if k != "version"}
    payload = json.dumps(
        [FINGERPRINT_REVISION, content, source, registration],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class _Target:
    version: int
    action: str
    replace: bool
    #: The draft's fingerprint when it still holds what the import wrote with it, else "".
    fingerprint: str = ""


def _target_versions(codes: list[str], certificateur: Organisation) -> dict[str, _Target]:
    """:func:`_target_version` for many codes in one query, with the fingerprint of every draft
    the import wrote and nobody edited since."""
    rows: dict[str, list] = {code: [] for code in codes}
    fingerprints: dict[tuple[str, int], str] = {}
    if codes:
        with connection.cursor() as cursor:
            cursor.execute(_LOOKUP_SQL, [sorted(set(codes))])
            for code, version, status, owner, fingerprint in cursor.fetchall():
                rows[code].append((version, status, owner))
                fingerprints[(code, version)] = fingerprint
    targets = {}
    for code in dict.fromkeys(codes):
        version, action, replace = _target_version(code, certificateur, rows[code])
        targets[code] = _Target(
            version, action, replace, fingerprints.get((code, version), "") if replace else ""
        )
    return targets


def _target_version(
    code: str, certificateur: Organisation, rows: list | None = None
) -> tuple[int, str, bool]:
    if rows is None:
        rows = list(
            Referentiel.objects.filter(code=code).values_list("version", "status", "certificateur_id")
        )
    if any(owner != certificateur.pk for _, _, owner in rows):
        raise ApplicationError(
            f"FICHE {code} : ce code appartient à un autre certificateur ; rien n'a été écrit."
        )
    versions = [(v, s) for v, s, _ in rows]
    drafts = [v for v, s in versions if s == Referentiel.Status.DRAFT]
    if drafts:
        return max(drafts), "mise à jour du brouillon", True
    if versions:
        return max(v for v, _ in versions) + 1, "nouvelle version", False
    return 1, "création", False


def _fingerprints_store(written: list[tuple[str, int, str]]) -> None:
    """Keep each written draft's fingerprint and the digest of what it now holds (one UPDATE)."""
    if not written:
        return
    values = ", ".join(["(%s, %s::integer, %s)"] * len(written))
    with connection.cursor() as cursor:
        sql = _STORE_SQL_HEAD + values + _STORE_SQL_TAIL  # placeholders only
        cursor.execute(sql, [x for row in written for x in row])


def _habilitations_grant_many(grants: list[tuple], certificateur: Organisation) -> None:
    """What :func:`referentiels.services.habilitation_grant` does for each ``(centre, code,
    date_debut, note)`` (the référentiels exist and are the certificateur's: the import wrote or
    found them), in one lookup and at most one insert and one update; an habilitation already
    as granted is left untouched."""
    if not grants:
        return
    wanted = {(centre.pk, code, date_debut): note for centre, code, date_debut, note in grants}
    existing = {
        (h.centre_id, h.referentiel_code, h.date_debut): h
        for h in Habilitation.objects.filter(
            centre_id__in={k[0] for k in wanted}, referentiel_code__in={k[1] for k in wanted}
        )
    }
    create, update = [], []
    for (centre_id, code, date_debut), note in wanted.items():
        habilitation = existing.get((centre_id, code, date_debut))
        if habilitation is None:
            create.append(
                Habilitation(
                    centre_id=centre_id,
                    certificateur=certificateur,
                    referentiel_code=code,
                    date_debut=date_debut,
                    date_fin=None,
                    note=note,
                )
            )
        elif (habilitation.certificateur_id, habilitation.date_fin, habilitation.note) != (
            certificateur.pk,
            None,
            note,
        ):
            habilitation.certificateur, habilitation.date_fin, habilitation.note = certificateur, None, note
            update.append(habilitation)
    if create:
        Habilitation.objects.bulk_create(create)
    if update:
        Habilitation.objects.bulk_update(update, ["certificateur", "date_fin", "note"])


class _Writer:
    """One import's pending writes, flushed per chunk (bulk statements whatever the chunk's size)."""

    def __init__(self, certificateur: Organisation, report: RncpImportReport, dry_run: bool):
        self.certificateur, self.report, self.dry_run = certificateur, report, dry_run
        self.centres = {o.siret: o for o in Organisation.objects.filter(kind="centre").exclude(siret="")}
        self.pending: list[tuple[dict, dict | None]] = []  # new versions
        self.replacing: list[tuple[dict, dict | None]] = []  # drafts whose content is replaced
        self.registrations: list[dict] = []  # the fiches' registration facts, upserted
        self.written: list[tuple[str, int, str]] = []  # (code, version, fingerprint) of the drafts written
        self.grants: list[tuple] = []  # (centre, code, date_debut, note)

    def flush(self) -> None:
        certificateur = self.certificateur
        _enregistrements_write(self.registrations, certificateur)
        self.registrations.clear()
        if self.replacing:
            referentiels_replace_drafts_many(items=self.replacing, certificateur=certificateur)
            self.replacing.clear()
        if self.pending:
            referentiels_create_many(items=self.pending, certificateur=certificateur)
            self.pending.clear()
        _fingerprints_store(self.written)
        self.written.clear()

    def _own(self, chunk: list[rncp.Fiche]) -> list[tuple[rncp.Fiche, rncp.Certificateur]]:
        """The fiches this organisation certifies (with its entry); the others are reported."""
        own = []
        report = self.report
        for fiche in chunk:
            entry, reason = fiche_certificateur_of(fiche, self.certificateur)
            if entry is None:
                report.skipped_total += 1
                if len(report.skipped) < 500:
                    report.skipped.append(
                        SkippedFiche(fiche.numero_fiche, fiche.intitule.strip()[:800], reason)
                    )
            else:
                own.append((fiche, entry))
        return own

    def import_chunk(self, chunk: list[rncp.Fiche], progress=None) -> None:
        own = self._own(chunk)
        targets = _target_versions([f.numero_fiche for f, _ in own], self.certificateur)
        seen: set[str] = set()
        for fiche, entry in own:
            if fiche.numero_fiche in seen:  # the same code twice in a chunk: the second sees the first
                self.flush()
                targets = _target_versions([fiche.numero_fiche], self.certificateur)
            seen.add(fiche.numero_fiche)
            self._fiche(fiche, entry, targets[fiche.numero_fiche])
            if progress and self.report.total % 100 == 0:
                progress(self.report.total)
        self.flush()
        _habilitations_grant_many(self.grants, self.certificateur)  # after flush: the référentiels exist
        self.grants.clear()

    def _fiche(self, fiche: rncp.Fiche, entry: rncp.Certificateur, target: _Target) -> None:
        version, report = target.version, self.report
        doc = fiche_to_document(fiche, version=version, certificateur=entry)
        report.total += 1
        if len(report.fiches) < 500:
            capacites = sum(len(b["capacites"]) for b in doc["blocs"])
            report.fiches.append(
                FicheSummary(
                    fiche.numero_fiche, doc["intitule"], len(doc["blocs"]), capacites, target.action, version
                )
            )
        if self.dry_run:
            return
        fiche_src = fiche_source(fiche)
        registration = fiche_enregistrement(fiche)
        fingerprint = fiche_fingerprint(doc, fiche_src, registration)
        # A draft that still holds what this very fiche wrote is left as it is.
        if fingerprint != target.fingerprint:
            (self.replacing if target.replace else self.pending).append((doc, fiche_src))
            if registration is not None:
                self.registrations.append(registration | {"code": fiche.numero_fiche})
            self.written.append((fiche.numero_fiche, version, fingerprint))
        for partenaire in fiche.partenaires:
            if (
                partenaire.siret in self.centres
                and partenaire.etat == "Actif"
                and partenaire.habilitation in ORGANISER
            ):
                self.grants.append(
                    (
                        self.centres[partenaire.siret],
                        fiche.numero_fiche,
                        partenaire.date_actif or dt.date.today(),
                        "Partenaire déclaré dans la fiche RNCP",
                    )
                )
                report.habilitations += 1


def rncp_import(
    *,
    source,
    filename: str,
    certificateur: Organisation,
    numeros: set[str] | None = None,
    dry_run: bool = False,
    progress=None,
) -> RncpImportReport:
    """Import (or preview, ``dry_run``) the fiches of an export; all-or-nothing.

    ``source`` is a path or a seekable binary file object (read once; read again only to name the
    first line of a duplicated NUMERO_FICHE).
    ``progress(count)`` is called every 100 fiches for long imports.
    """
    if certificateur.kind != Organisation.Kind.CERTIFICATEUR:
        raise ApplicationError("Seul un certificateur peut importer des fiches RNCP.")
    if hasattr(source, "read") and not isinstance(getattr(source, "name", None), str):
        source.name = filename  # so that every error names the uploaded file
    # One reading validates and writes: a fiche is written as soon as it is read and checked, but
    # the first error in the file (or a write refused) stops the writing, the reading goes on so
    # that every error is reported, and the transaction is rolled back: nothing written.
    checked = rncp.Checked(_rewind(source), numeros)
    refused: ApplicationError | None = None
    report = RncpImportReport(dry_run=dry_run)
    with transaction.atomic():
        writer = _Writer(certificateur, report, dry_run)
        for chunk in _chunks(checked, CHUNK):
            if checked.failed or refused is not None:
                continue  # the file is refused: read on for its other errors, write nothing more
            try:
                writer.import_chunk(chunk, progress)
            except ApplicationError as exc:  # e.g. a code of another certificateur
                refused = exc
        _refuse_if_incomplete(checked, refused, report, numeros, filename)
    return report


def _refuse_if_incomplete(checked, refused, report: RncpImportReport, numeros, filename: str) -> None:
    """Raise (rolling the import back) on the file's errors, a write refused, or a fiche asked for
    (``numeros``) that the export does not hold."""
    if checked.errors:
        errors = checked.errors
        more = f" (et {len(errors) - 10} autre(s))" if len(errors) > 10 else ""
        raise ApplicationError(
            "Import refusé, rien n'a été écrit : " + " ; ".join(str(e) for e in errors[:10]) + more
        )
    if refused is not None:
        raise refused
    if numeros:
        missing = numeros - {f.code for f in report.fiches} - {f.code for f in report.skipped}
        complete = len(report.fiches) == report.total and len(report.skipped) == report.skipped_total
        if missing and complete:
            raise ApplicationError(
                f"{filename} : fiche(s) absente(s) de l'export : {', '.join(sorted(missing))} ; rien n'a été écrit."
            )


def _rewind(source):
    if hasattr(source, "seek"):
        source.seek(0)
    return source
