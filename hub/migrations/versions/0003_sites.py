"""Sites that phone home: sites, the documents taken from them (check_ins), their events; enroll
tokens get a number of uses and a channel.

Revision ID: 0003_sites
Revises: 0002_differentials
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_sites'
down_revision = '0002_differentials'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('uses_left', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('channel', sa.String(length=100), nullable=True))
    op.create_table('sites',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('application', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=200), nullable=True),
    sa.Column('index_sha256', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('condition', sa.String(length=20), nullable=True),
    sa.Column('interval_s', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('site_clock', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock_skew_s', sa.Integer(), nullable=True),
    sa.Column('status_json', sa.Text(), nullable=True),
    sa.Column('inventory_json', sa.Text(), nullable=True),
    sa.Column('alerts_json', sa.Text(), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disconnected_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('public_key', name=op.f('uq_sites_public_key'))
    )
    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('site_clock', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_check_ins_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins')),
    sa.UniqueConstraint('site_id', 'seq', name=op.f('uq_check_ins_site_id'))
    )
    op.create_table('site_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_events_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_events'))
    )
    op.create_index(op.f('ix_site_events_site_id'), 'site_events', ['site_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_site_events_site_id'), table_name='site_events')
    op.drop_table('site_events')
    op.drop_table('check_ins')
    op.drop_table('sites')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('channel')
        batch.drop_column('uses_left')
