"""Install links: the install_links table, and each release's full tarball sha256 once hashed.

Revision ID: 0005_install_links
Revises: 0004_support
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_install_links'
down_revision = '0004_support'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('releases') as batch:
        batch.add_column(sa.Column('bundle_sha256', sa.String(length=64), nullable=True))
    op.create_table('install_links',
    sa.Column('token_id', sa.String(length=32), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('install_args', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_install_links_token_id_api_tokens'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_install_links_application_id_applications')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_install_links_release_id_releases')),
    sa.PrimaryKeyConstraint('token_id', name=op.f('pk_install_links'))
    )


def downgrade() -> None:
    op.drop_table('install_links')
    with op.batch_alter_table('releases') as batch:
        batch.drop_column('bundle_sha256')
