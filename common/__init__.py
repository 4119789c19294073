"""What the web app, the write path and the commands share without knowing one another: the settings,
connections outside a request, the audit log and the database schema. Nothing here knows HTTP."""
