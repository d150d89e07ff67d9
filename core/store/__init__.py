"""Event store: SQLAlchemy models, alembic migrations, an idempotent batch writer, and the ingest job."""
