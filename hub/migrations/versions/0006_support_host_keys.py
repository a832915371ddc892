"""Support sessions keep the SSH host key of each node they forward (ssh:NODE), as the site saw it.

Revision ID: 0006_support_host_keys
Revises: 0005_install_links
"""

import sqlalchemy as sa
from alembic import op

revision = '0006_support_host_keys'
down_revision = '0005_install_links'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('support_sessions') as batch:
        batch.add_column(sa.Column('host_keys_json', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('support_sessions') as batch:
        batch.drop_column('host_keys_json')
