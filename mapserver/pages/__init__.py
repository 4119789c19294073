"""The citizens' map page at `/` and the files it loads from `/static/` (`routes`), with its words (`text`)."""
