"""Why a load was refused, in words an agency clerk understands (Vietnamese and English)."""

from __future__ import annotations


class LoadRefused(Exception):
    """The whole file is refused; nothing is loaded and the published version is untouched."""

    def __init__(self, en: str, vi: str, *, source: str | None = None, field: str | None = None):
        self.en, self.vi, self.source, self.field = en, vi, source, field
        super().__init__(f"{source}: {en}" if source else en)

    def to_dict(self) -> dict:
        return {"source": self.source, "field": self.field, "messages": {"vi": self.vi, "en": self.en}}
