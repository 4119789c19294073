"""Write path: files -> validated, versioned PostGIS layers."""
