"""Service coverage per ward: `/api/coverage` (GeoJSON or CSV, `routes`), the `/coverage` page (`page`),
its one statement (`query`) and the page's words (`text`)."""
