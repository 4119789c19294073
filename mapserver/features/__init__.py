"""OGC API - Features over the published layers: collections and items, nearest/nearby/within, search.

`routes/` parse a request and answer it; `filters` reads property filters, sorting and property lists
off the query string; `query/` composes the SQL that PostGIS answers with finished GeoJSON."""
