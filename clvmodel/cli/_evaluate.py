"""``clvmodel evaluate``: calibration/holdout evaluation (filled in by the holdout work)."""
