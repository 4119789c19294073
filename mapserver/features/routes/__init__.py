"""The features routes, declared on the API blueprint (mapserver.api) when imported."""
