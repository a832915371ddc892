"""Differential bundles: a release's index against an earlier release, made once and kept, and the
vendor's signature over it.

Revision ID: 0002_differentials
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002_differentials'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('differentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('index_json', sa.LargeBinary(), nullable=False),
    sa.Column('index_sha256', sa.String(length=64), nullable=False),
    sa.Column('signature_json', sa.LargeBinary(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['releases.id'], name=op.f('fk_differentials_base_id_releases')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_differentials_release_id_releases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_differentials')),
    sa.UniqueConstraint('release_id', 'base_id', name=op.f('uq_differentials_release_id'))
    )


def downgrade() -> None:
    op.drop_table('differentials')
