"""``clvmodel plan``: staged price-increase plan (filled in by the churn work)."""
