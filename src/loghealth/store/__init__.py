"""Store stage: findings, their history, hits, sources, checkpoints (SQLite or PostgreSQL)."""
