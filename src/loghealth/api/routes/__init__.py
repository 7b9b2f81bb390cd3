"""API routes, one module per area, all under `/api/v1` (plus `/healthz` and `/metrics`)."""
