#!/usr/bin/env bash
# System packages the server and its tests need: PostgreSQL 15 + PostGIS 3, GDAL's command-line
# tools (ogr2ogr, the speed reference; ogrinfo, an OGC API client), npm (the map page's libraries),
# the distribution Python's venv module,
# Debian's Chromium (page tests), nginx (the cache in front, deploy/nginx/; its tests start their own
# master on a free port, whatever the package itself starts) and wrk (benchmarks).
# As root on Debian they are installed when missing; otherwise we say what to install.
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
command -v ogr2ogr >/dev/null || need+=(gdal-bin)
command -v npm >/dev/null || need+=(npm)
# The distribution's Python is the optimised one (see PYTHON in the Makefile); Debian ships its venv apart.
if [ -x /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then need+=(python3-venv); fi
for flag in "$@"; do
    case "$flag" in
        --with-browser)  # page tests
            command -v chromium >/dev/null || need+=(chromium)
            command -v chromedriver >/dev/null || need+=(chromium-driver) ;;
        --with-nginx)  # the reference cache in front (tests/cluster): only the binary is used
            [ -x /usr/sbin/nginx ] || need+=(nginx) ;;
        --with-bench)  # a load generator in C, so the client does not eat the CPU it measures
            command -v wrk >/dev/null || need+=(wrk) ;;
    esac
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
    echo "missing system packages: ${need[*]}" >&2
    echo "the map server needs PostgreSQL 15 with PostGIS 3 (its database), GDAL tools, Chromium and nginx (tests)." >&2
    echo "on Debian/Ubuntu run as root: apt-get install ${need[*]}" >&2
    echo "or set DATABASE_URL to a PostgreSQL 15+ server with PostGIS 3 available." >&2
    exit 1
fi
