# geninvoices' image: see docker-compose.yml and the README's "Docker" section.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's Pango and HarfBuzz subsetter and a font for invoice PDFs (README "Invoice
# documents")
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /build
# Dependencies first, read from pyproject.toml alone: this layer is rebuilt only when the
# dependencies change, not on every change to the source.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && pip install -r requirements.txt

# Then the package itself (the migrations travel inside it), without touching the layer above.
COPY README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-deps . \
 && rm -rf /build \
 && useradd --system --uid 10001 --user-group --home-dir /home/geninvoices --create-home geninvoices
COPY --chmod=0755 docker/start.sh /usr/local/bin/geninvoices-start

USER geninvoices
WORKDIR /home/geninvoices
EXPOSE 8000
# Any HTTP answer from api.php means the server is up (an unauthenticated call is refused,
# which is an answer); no answer within 4 seconds means it is not.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import http.client as h; c = h.HTTPConnection('127.0.0.1', 8000, timeout=4); c.request('POST', '/includes/api.php', body='', headers={'Content-Type': 'application/x-www-form-urlencoded'}); c.getresponse()"
CMD ["geninvoices-start"]
