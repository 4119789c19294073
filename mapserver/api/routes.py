"""Every route of the read API: importing this module imports the modules that declare them on the API
blueprint, in this order, which is the order of /api/openapi.json's paths."""

# isort: off
import mapserver.coverage.routes  # noqa: F401
import mapserver.tiles.routes  # noqa: F401
import mapserver.features.routes.collections  # noqa: F401
import mapserver.api.docs  # noqa: F401
import mapserver.features.routes.proximity  # noqa: F401
import mapserver.features.routes.search  # noqa: F401
import mapserver.journeys.routes  # noqa: F401
# isort: on
from mapserver.api.declare import ROUTES

__all__ = ["ROUTES"]
