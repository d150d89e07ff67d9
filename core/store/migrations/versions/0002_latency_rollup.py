"""latency roll-up: samples per camera, stage, period (1, 5, 60 min) and latency bin; filled from stored samples

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

The backfill runs the roll-up code that ingest runs (core/store/latency_rollup), so a migrated store holds the rows
that writing its events afresh would have produced.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from edgesight.core.store.latency_rollup import backfill_rollup


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('latency_rollup',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('period_s', sa.Integer(), nullable=False),
    sa.Column('start_s', sa.BigInteger(), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('bin', sa.BigInteger(), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('samples', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('source', 'period_s', 'start_s', 'stage', 'bin', 'site'),
    sqlite_with_rowid=False
    )
    connection = op.get_bind()
    backfill_rollup(connection, postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)


def downgrade() -> None:
    op.drop_table('latency_rollup')
