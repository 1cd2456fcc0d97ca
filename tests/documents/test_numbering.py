"""Numbers: gap-free and unique per certificateur and year, allocated once per key, never changed."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from core.errors import ApplicationError
from documents.models import DocumentVersion, IssuedDocument, NumberSequence, VerificationRecord
from documents.services import document_request
from organisations.tenancy import tenant_context
from tests.documents.conftest import issue


def _seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_numbers_follow_each_other_per_certificateur_and_year(org_a, org_b, cci):
    a1 = issue(org_a, cci, key="p:1", holder="Alice Un")
    b1 = issue(org_b, cci, key="p:1", holder="Bruno Deux")  # same key, other centre: its own document
    a2 = issue(org_a, cci, "certificat_bloc", key="b:1", holder="Alice Un")
    next_year = issue(org_a, cci, key="p:2027", holder="Alice Un", issued_on=dt.date(2027, 1, 4))
    year = a1.issued_on.year
    assert [a1.number, b1.number, a2.number] == [f"CCI-FRANCE-{year}-00000{i}" for i in (1, 2, 3)]
    assert next_year.number == "CCI-FRANCE-2027-000001"
    assert NumberSequence.objects.get(certificateur=cci, year=year).last_value == 3
    assert len({a1.verification_code, b1.verification_code, a2.verification_code}) == 3
    assert len(a1.verification_code) == 12 and not set(a1.verification_code) & set("01OIL")


def test_same_key_twice_is_one_document_and_one_number(org_a, cci):
    first = issue(org_a, cci, key="parchemin:dossier-1")
    again = issue(org_a, cci, key="parchemin:dossier-1", holder="Someone Else")
    assert again.pk == first.pk and again.number == first.number
    with tenant_context(org_a):
        assert IssuedDocument.objects.count() == 1
    assert NumberSequence.objects.get(certificateur=cci).last_value == 1
    assert VerificationRecord.objects.count() == 1
    with pytest.raises(ApplicationError, match="autre type|déjà un document"):
        issue(org_a, cci, "attestation", key="parchemin:dossier-1")


def test_unnumbered_kinds_take_no_number(org_a, cci):
    doc = issue(org_a, cci, "attestation", key="attestation:1")
    assert doc.number is None and doc.verification_code is None
    assert not NumberSequence.objects.exists() and not VerificationRecord.objects.exists()


def test_a_rolled_back_issue_gives_its_number_back(org_a, cci):
    issue(org_a, cci, key="p:1", holder="Un")
    with pytest.raises(RuntimeError), tenant_context(org_a):
        from documents.examples import PARCHEMIN

        document_request(
            organisation=org_a,
            kind="parchemin",
            certificateur=cci,
            idempotency_key="p:2",
            holder_name="Deux",
            title="T",
            context=PARCHEMIN,
            render=False,
        )
        raise RuntimeError("the jury's transaction fails after issuing")
    third = issue(org_a, cci, key="p:3", holder="Trois")
    assert _seq(third.number) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holder": ""}, "titulaire est obligatoire"),
        ({"context": {"lieu": ""}}, "Mentions manquantes .*lieu"),
        ({"kind": "diplome"}, "Type de document inconnu"),
        ({"context": {"qr": "<svg/>"}}, "Clés réservées"),
        ({"key": ""}, "clé d'idempotence est obligatoire"),
    ],
)
def test_bad_requests_are_refused_with_a_message_and_nothing_written(org_a, cci, changes, message):
    kind = changes.pop("kind", "parchemin")
    with pytest.raises(ApplicationError, match=message):
        if kind != "parchemin":
            with tenant_context(org_a):
                document_request(
                    organisation=org_a,
                    kind=kind,
                    certificateur=cci,
                    idempotency_key="x",
                    title="T",
                    context={},
                    render=False,
                )
        else:
            issue(org_a, cci, **({"key": changes.pop("key")} if "key" in changes else {}), **changes)
    with tenant_context(org_a):
        assert not IssuedDocument.objects.exists()
    assert not VerificationRecord.objects.exists()
    assert not NumberSequence.objects.filter(last_value__gt=0).exists()


def test_numbered_kind_needs_a_certificateur_organisation(org_a, org_b):
    with pytest.raises(ApplicationError, match="exige un certificateur"):
        issue(org_a, org_b)


def test_request_outside_the_active_organisation_is_refused(org_a, org_b, cci):
    from documents.examples import PARCHEMIN

    with pytest.raises(ApplicationError, match="organisation active"), tenant_context(org_a):
        document_request(
            organisation=org_b,
            kind="parchemin",
            certificateur=cci,
            idempotency_key="x",
            holder_name="X",
            title="T",
            context=PARCHEMIN,
            render=False,
        )


# --- database guards ---------------------------------------------------------------------------


def test_database_refuses_changing_a_number_or_code(org_a, cci):
    doc = issue(org_a, cci)
    with tenant_context(org_a):
        for field, value in (("number", "CCI-FRANCE-2026-999999"), ("verification_code", "ABCDEFGHJKMN")):
            with pytest.raises(IntegrityError, match="ne peut pas changer"), transaction.atomic():
                IssuedDocument.objects.filter(pk=doc.pk).update(**{field: value})
        with pytest.raises(IntegrityError, match="ne peut pas changer"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE documents_issueddocument SET number = NULL WHERE id = %s", [doc.pk])
        with pytest.raises(IntegrityError, match="ne peut pas être supprimé"), transaction.atomic():
            IssuedDocument.objects.filter(pk=doc.pk).delete()
        assert IssuedDocument.objects.get(pk=doc.pk).number == doc.number


def test_database_refuses_a_counter_going_back(org_a, cci):
    issue(org_a, cci)
    with pytest.raises(IntegrityError, match="revenir en arrière"), transaction.atomic():
        NumberSequence.objects.filter(certificateur=cci).update(last_value=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        NumberSequence.objects.filter(certificateur=cci).delete()


def test_database_refuses_changing_a_kept_version(org_a, cci):
    doc = issue(org_a, cci)
    with tenant_context(org_a):
        version = DocumentVersion.objects.create(
            organisation=org_a, document=doc, version=1, reason="Correction test"
        )
        with pytest.raises(IntegrityError, match="ni modifiée ni supprimée"), transaction.atomic():
            DocumentVersion.objects.filter(pk=version.pk).update(reason="autre")
        with pytest.raises(IntegrityError), transaction.atomic():
            DocumentVersion.objects.filter(pk=version.pk).delete()


def test_a_ready_document_must_have_its_fingerprint(org_a, cci):
    doc = issue(org_a, cci)
    with tenant_context(org_a), pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.filter(pk=doc.pk).update(status="ready")


def test_rls_hides_documents_of_other_centres_even_from_raw_sql(org_a, org_b, cci):
    issue(org_a, cci, key="a")
    issue(org_b, cci, key="b", holder="Bruno")
    with tenant_context(org_a), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT organisation_id FROM documents_issueddocument")
        assert [r[0] for r in cursor.fetchall()] == [org_a.pk]


# --- concurrency -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_issuers_get_unique_gap_free_numbers(org_a, org_b, cci):
    """Four threads (two centres) issue 40 parchemins at once, half of them twice (same key)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(org, start):
        try:
            barrier.wait()
            for i in range(10):
                issue(org, cci, key=f"p:{(start + i) % 20}", holder=f"Titulaire {start + i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # Threads 0/1 in A and 2/3 in B overlap on keys 5..14 within each centre.
    threads = [
        threading.Thread(target=worker, args=args)
        for args in ((org_a, 0), (org_a, 5), (org_b, 0), (org_b, 5))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    numbers = []
    for org in (org_a, org_b):
        with tenant_context(org):
            rows = list(IssuedDocument.objects.values_list("idempotency_key", "number"))
        assert len(rows) == 15 and len({k for k, _ in rows}) == 15  # keys 0..14, once each
        numbers += [n for _, n in rows]
    assert sorted(_seq(n) for n in numbers) == list(range(1, 31))
    assert NumberSequence.objects.get(certificateur=cci).last_value == 30
    assert VerificationRecord.objects.count() == 30
