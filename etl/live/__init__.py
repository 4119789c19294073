"""Live layers: features written one at a time, each write with its revision, change event and audit row."""
