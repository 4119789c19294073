"""The read path's SQL: each statement composed from small named clauses, PostGIS returns finished JSON text."""
