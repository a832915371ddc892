"""Remote support: hub users get a role (viewer, operator, admin; viewer unless raised), the
support sessions sites open through the hub's SSH port, and the audit log of every open, close,
forward and connection through them.

Revision ID: 0004_support
Revises: 0003_sites
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_support'
down_revision = '0003_sites'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('role', sa.String(length=10), nullable=False, server_default='viewer'))
    op.create_table('support_sessions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('allow_json', sa.Text(), nullable=False),
    sa.Column('ports_json', sa.Text(), nullable=False),
    sa.Column('kube_ca', sa.Text(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_support_sessions_site_id_sites'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_sessions'))
    )
    op.create_index(op.f('ix_support_sessions_site_id'), 'support_sessions', ['site_id'], unique=False)
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=True),
    sa.Column('session_id', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('bytes_in', sa.BigInteger(), nullable=True),
    sa.Column('bytes_out', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )


def downgrade() -> None:
    op.drop_table('audit_events')
    op.drop_index(op.f('ix_support_sessions_site_id'), table_name='support_sessions')
    op.drop_table('support_sessions')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('role')
