"""A site's control panel is served on a port of its own (an origin apart from the hub's): the
leases of those ports to support sessions, and the tickets and grants that let a hub user in.

Revision ID: 0007_panel_ports
Revises: 0006_support_host_keys
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_panel_ports'
down_revision = '0006_support_host_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('panel_leases',
    sa.Column('port', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('leased_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_panel_leases_site_id_sites'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['support_sessions.id'],
                            name=op.f('fk_panel_leases_session_id_support_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port', name=op.f('pk_panel_leases'))
    )
    op.create_index(op.f('ix_panel_leases_site_id'), 'panel_leases', ['site_id'], unique=False)
    op.create_table('panel_passes',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('site_id', sa.String(length=40), nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['support_sessions.id'],
                            name=op.f('fk_panel_passes_session_id_support_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_panel_passes'))
    )
    op.create_index(op.f('ix_panel_passes_session_id'), 'panel_passes', ['session_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_panel_passes_session_id'), table_name='panel_passes')
    op.drop_table('panel_passes')
    op.drop_index(op.f('ix_panel_leases_site_id'), table_name='panel_leases')
    op.drop_table('panel_leases')
