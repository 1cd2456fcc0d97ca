"""Signing the procès-verbal with a passkey (WebAuthn: a fingerprint, the device's PIN, a security
key) instead of a code of the authenticator app, through allauth's MFA WebAuthn.

The jury page asks the browser for an assertion over a fresh challenge (kept in the session by
allauth); the signature checks it against the member's registered passkeys.
"""

import json

from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn.internal import auth as webauthn
from django.core.exceptions import ValidationError

from core.errors import ApplicationError

REFUSED = "Clé d'accès non reconnue ou demande expirée : recommencez la signature avec votre clé."


def has_passkey(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()


def request_options(user) -> dict:
    """The browser's ``navigator.credentials.get`` options (a new challenge, the user's passkeys)."""
    return webauthn.begin_authentication(user)


def passkey_check(user, credential: str) -> None:
    """The assertion answers the challenge of this session with one of the user's passkeys."""
    try:
        data = json.loads(credential)
        webauthn.parse_authentication_response(data)
        authenticator = webauthn.complete_authentication(user, data)
    except (ValueError, TypeError, ValidationError) as exc:
        raise ApplicationError(REFUSED, field="code") from exc
    authenticator.record_usage()
