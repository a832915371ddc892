"""Lighter check-ins: the digest of the inventory the hub holds for each site (a check-in whose
inventory did not change sends that digest alone), and the digest of the last document taken
(check_ins keeps report files only, so it no longer grows with every check-in of every site).

Revision ID: 0008_lighter_check_ins
Revises: 0007_panel_ports
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_lighter_check_ins'
down_revision = '0007_panel_ports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('inventory_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('last_digest', sa.String(length=64), nullable=True))
    op.execute("DELETE FROM check_ins WHERE source = 'online'")


def downgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('last_digest')
        batch.drop_column('inventory_sha256')
