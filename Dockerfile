# Production image: gunicorn web, Celery worker and Celery beat all run from it (see docker-compose.yml).
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && npm run --silent vendor

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=0
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY . .
COPY --from=assets /app/static/vendor ./static/vendor
# Static files at build: hashed, compressed names in the image, identical in every container; whitenoise serves them.
RUN SECRET_KEY=collectstatic-only-build-time-key-000000000000 python manage.py collectstatic --noinput -v 0
RUN useradd --system --uid 1000 zhucun && mkdir -p /app/media && chown zhucun /app/media
USER zhucun
EXPOSE 8000
# Workers: WEB_CONCURRENCY (default cores + 1); logs JSON on stdout (scripts/gunicorn.conf.py).
CMD ["gunicorn", "zhucun.wsgi:application", "--config", "scripts/gunicorn.conf.py"]
