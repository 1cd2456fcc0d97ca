# syntax=docker/dockerfile:1
# Production image: one image for web (gunicorn), worker and beat (celery); see docker-compose.yml.

# --- Front-end packages from the npm registry (package.json / package-lock.json) ---------------
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- Application --------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# WeasyPrint: pango, plus libharfbuzz-subset0 so fonts are subset in C (3x faster per document);
# fonts for documents and pages; poppler-utils for PDF text extraction.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core fonts-liberation2 poppler-utils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (pyproject.toml installs no package of its own: packages = []), so this
# layer is reused until pyproject.toml changes.
COPY pyproject.toml ./
RUN pip install .

COPY . .
COPY --from=assets /app/node_modules ./node_modules

# Static files are collected at build time (whitenoise serves them). Production settings refuse
# to load without their secrets: give them throw-away values that exist only in this RUN.
RUN DJANGO_SECRET_KEY=collectstatic-only-build-time-value-not-used-at-runtime-0123456789 \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    EMAIL_HOST=localhost \
    SIGNING_KEY_PATH=/nonexistent/key.pem \
    SIGNING_CERT_PATH=/nonexistent/cert.pem \
    python manage.py collectstatic --noinput

# Run as an unprivileged user; var/ holds media and private files (a volume in compose).
RUN useradd --system --create-home --uid 10001 app \
    && mkdir -p /app/var/media /app/var/private /app/var/beat \
    && chown -R app:app /app/var
USER app

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--access-logfile", "-", "--timeout", "60"]
