"""Container health check for the web service: GET /sante on the local gunicorn.

Sends the headers production settings expect (an allowed Host, X-Forwarded-Proto: https so
SECURE_SSL_REDIRECT does not answer with a redirect) and exits 0 only on HTTP 200.
Standard library only: the slim image has no curl.
"""

import http.client
import os
import sys

PORT = int(os.environ.get("HEALTHCHECK_PORT", "8000"))
PATH = os.environ.get("HEALTHCHECK_PATH", "/sante")


def allowed_host() -> str:
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=8)
    try:
        conn.request("GET", PATH, headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        body = response.read(500).decode("utf-8", "replace")
    except OSError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if response.status != 200:
        print(f"healthcheck: HTTP {response.status} {body}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
