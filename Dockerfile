# The image that docker-compose.yml runs as web, worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
# Pinned: the lock file (make lock), not whatever resolves today.
RUN pip install --upgrade pip \
 && pip install --build-constraint requirements/build-constraints.txt -r requirements/lock.txt
COPY . .
RUN useradd --system --home /app pae && mkdir -p var/media && chown -R pae var
USER pae
EXPOSE 8000
CMD ["gunicorn", "pae_ops.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--logger-class", "pae_ops.log_redaction.RedactingGunicornLogger"]
