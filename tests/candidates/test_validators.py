import pytest
from django.core.exceptions import ValidationError

from candidates.validators import luhn_valid, siret_is_valid, validate_code_insee, validate_siret


@pytest.mark.parametrize("siret", ["73282932000074", "44306184100047", "35600000000048", "35600000049837"])
def test_valid_sirets(siret):
    assert siret_is_valid(siret)
    validate_siret(siret)


@pytest.mark.parametrize(
    "siret, message",
    [
        ("73282932000075", "clé de contrôle"),
        ("1234567890123", "14 chiffres"),
        ("7328293200007A", "14 chiffres"),
        ("", "14 chiffres"),
    ],
)
def test_invalid_sirets_say_why(siret, message):
    with pytest.raises(ValidationError, match=message):
        validate_siret(siret)


def test_luhn_known_values():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


@pytest.mark.parametrize("code", ["75056", "2A004", "2B033", "97411"])
def test_insee_codes(code):
    validate_code_insee(code)


@pytest.mark.parametrize("code", ["7505", "2C004", "ABCDE", "750560"])
def test_bad_insee_codes(code):
    with pytest.raises(ValidationError, match="Code INSEE invalide"):
        validate_code_insee(code)
