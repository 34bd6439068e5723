# One image for the API workers, the writer and the scheduler (server mode).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends qpdf fonts-wqy-zenhei curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, pinned with hashes (requirements.lock, pip-compile --generate-hashes from
# pyproject.toml): a rebuild installs the same bytes or fails.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY tracker ./tracker
COPY watermark ./watermark
COPY ingest ./ingest
COPY scoring ./scoring
COPY outbound ./outbound
COPY api ./api
RUN pip install --no-deps .
RUN useradd --system --home /app dealsignal && mkdir -p /data && chown dealsignal /data
USER dealsignal
ENV DEALSIGNAL_DATA_DIR=/data
EXPOSE 8000
# The API answers /readyz when its stores do; the writer and worker services override this
# with `dealsignal health` (docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=4 \
  CMD curl -fsS http://127.0.0.1:8000/readyz || exit 1
CMD ["dealsignal", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]
