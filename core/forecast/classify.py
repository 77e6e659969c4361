"""Syntetos–Boylan classes from the average inter-demand interval (ADI) and the squared
coefficient of variation of the non-zero demands (CV²), cut at 1.32 and 0.49."""

from __future__ import annotations

import numpy as np

ADI_CUT = 1.32
CV2_CUT = 0.49
LABELS = {"smooth": "regular", "erratic": "errática", "intermittent": "intermitente",
          "lumpy": "irregular (grumosa)", "none": "sin ventas"}


def adi_cv2(y: np.ndarray) -> tuple[float, float]:
    """(ADI, CV²) of a series; ADI is inf when it never sold."""
    y = np.asarray(y, dtype=float)
    nonzero = y[y > 0]
    if nonzero.size == 0:
        return float("inf"), 0.0
    adi = y.size / nonzero.size
    mean = float(nonzero.mean())
    cv2 = float(nonzero.var() / mean ** 2) if mean else 0.0
    return adi, cv2


def classify(y: np.ndarray) -> str:
    """smooth / erratic / intermittent / lumpy (or none: no positive demand)."""
    adi, cv2 = adi_cv2(y)
    if adi == float("inf"):
        return "none"
    if adi < ADI_CUT:
        return "smooth" if cv2 < CV2_CUT else "erratic"
    return "intermittent" if cv2 < CV2_CUT else "lumpy"
