"""The wallet's side of « Ajouter à mon portefeuille numérique » (OpenID4VCI 1.0, pre-authorized code).

Anonymous endpoints (the wallet holds no session): the metadata, the token endpoint (form-encoded,
RFC 6749) and the credential endpoint (JSON, Bearer token). No cookie is read, so no CSRF token is
asked. Every answer is JSON, ``Cache-Control: no-store``; every endpoint is rate limited per client
address. The work is in :mod:`espace_candidat.wallet`.
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from documents.public import rate_limited
from espace_candidat import wallet

#: requests per minute and per client address, for each endpoint
RATE_PER_MINUTE = getattr(settings, "OID4VCI_RATE_PER_MINUTE", 30)


def _json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _error(exc: wallet.WalletError) -> JsonResponse:
    response = _json(exc.body(), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return response


def _too_many(request, scope: str) -> JsonResponse | None:
    if not rate_limited(request, scope=f"oid4vci-{scope}", limit=RATE_PER_MINUTE):
        return None
    response = _json(
        {"error": "slow_down", "error_description": "Trop de requêtes : réessayez dans une minute."}, 429
    )
    response["Retry-After"] = "60"
    return response


@require_GET
def issuer_metadata(request):
    return _too_many(request, "metadata") or _json(wallet.issuer_metadata())


@require_GET
def authorization_server_metadata(request):
    return _too_many(request, "metadata") or _json(wallet.authorization_server_metadata())


@require_GET
def offer(request, code):
    limited = _too_many(request, "offer")
    if limited:
        return limited
    try:
        return _json(wallet.offer_by_reference(code))
    except wallet.WalletError as exc:
        return _error(exc)


@csrf_exempt
@require_POST
def token(request):
    limited = _too_many(request, "token")
    if limited:
        return limited
    if request.content_type != "application/x-www-form-urlencoded":
        return _error(
            wallet.WalletError("invalid_request", "Corps attendu : application/x-www-form-urlencoded.")
        )
    try:
        body = wallet.token_exchange(
            grant_type=request.POST.get("grant_type", ""),
            code=request.POST.get("pre-authorized_code", ""),
            tx_code=request.POST.get("tx_code"),
        )
    except wallet.WalletError as exc:
        return _error(exc)
    return _json(body)


@csrf_exempt
@require_POST
def nonce(request):
    return _too_many(request, "nonce") or _json(wallet.fresh_nonce())


@csrf_exempt
@require_POST
def credential(request):
    limited = _too_many(request, "credential")
    if limited:
        return limited
    try:
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        answer = wallet.credential_request(authorization=request.headers.get("Authorization", ""), body=body)
    except wallet.WalletError as exc:
        return _error(exc)
    return _json(answer)
