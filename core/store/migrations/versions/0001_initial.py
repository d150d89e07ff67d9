"""events, latency samples, signal states, parts, verdicts

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('v', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('app', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('capture_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publish_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ingest_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_kind_capture', ['kind', 'capture_time'], unique=False)
        batch_op.create_index('ix_events_source_capture', ['source', 'capture_time'], unique=False)
        batch_op.create_index('ix_events_stream_seq', ['node', 'app', 'source', 'seq'], unique=False)

    op.create_table('parts',
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('part_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('defects', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.Column('verdict_time', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('site', 'part_id')
    )
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.create_index('ix_parts_first_seen', ['first_seen'], unique=False)

    op.create_table('latency_samples',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('capture_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('frame_seq', sa.BigInteger(), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=False),
    sa.Column('ms', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'frame_seq', 'stage', name='uq_latency_sample')
    )
    with op.batch_alter_table('latency_samples', schema=None) as batch_op:
        batch_op.create_index('ix_latency_source_capture', ['source', 'capture_time'], unique=False)

    op.create_table('signal_states',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('capture_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('phase', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('time_in_phase_s', sa.Float(), nullable=False),
    sa.Column('cycle_s', sa.Float(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('signal_states', schema=None) as batch_op:
        batch_op.create_index('ix_signal_states_source_capture', ['source', 'capture_time'], unique=False)

    op.create_table('verdicts',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('part_id', sa.String(length=64), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('capture_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.create_index('ix_verdicts_capture', ['capture_time'], unique=False)
        batch_op.create_index('ix_verdicts_part', ['site', 'part_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_verdicts_part')
        batch_op.drop_index('ix_verdicts_capture')

    op.drop_table('verdicts')
    with op.batch_alter_table('signal_states', schema=None) as batch_op:
        batch_op.drop_index('ix_signal_states_source_capture')

    op.drop_table('signal_states')
    with op.batch_alter_table('latency_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_latency_source_capture')

    op.drop_table('latency_samples')
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.drop_index('ix_parts_first_seen')

    op.drop_table('parts')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_stream_seq')
        batch_op.drop_index('ix_events_source_capture')
        batch_op.drop_index('ix_events_kind_capture')

    op.drop_table('events')
