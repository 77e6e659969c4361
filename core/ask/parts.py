"""The parts of an understood question: kind, period, filters. A follow-up changes some of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from core.ask.spanish import Period


@dataclass(frozen=True)
class Parts:
    kind: str
    period: Period | None = None
    almacen: tuple[int, str] | None = None
    categoria: str | None = None
    grupo: str | None = None
    productos: tuple[int, ...] = ()
    producto_texto: str | None = None
    n: int | None = None
    metric: str = "importe"  # importe or unidades (rankings)

    def with_(self, **changes: Any) -> Parts:
        return replace(self, **changes)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON, so a page or a test can carry it to the next question."""
        data = asdict(self)
        if self.period is not None:
            data["period"] = {"start": self.period.start.isoformat(), "end": self.period.end.isoformat(),
                              "label": self.period.label, "unit": self.period.unit}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Parts:
        values = dict(data)
        if values.get("period"):
            pr = values["period"]
            values["period"] = Period(date.fromisoformat(pr["start"]), date.fromisoformat(pr["end"]),
                                      pr["label"], pr["unit"])
        if values.get("almacen"):
            values["almacen"] = (int(values["almacen"][0]), str(values["almacen"][1]))
        values["productos"] = tuple(int(i) for i in values.get("productos") or ())
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
