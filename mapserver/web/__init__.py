"""What every room of the web app uses: the catalog and the published versions seen from a request, the
connection pool and prepared statements, errors as JSON, gzip, the gunicorn worker and /healthz."""
