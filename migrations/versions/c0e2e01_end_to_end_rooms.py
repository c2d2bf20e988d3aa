"""rooms: the end-to-end encrypted flag

An e2e room's captions arrive as envelopes sealed with a key the hub never sees (docs/security.md); the
hub refuses plain text there and serves no server-side export of it.

Revision ID: c0e2e01
Revises: c0private01
Create Date: 2026-12-02 06:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0e2e01'
down_revision = 'c0private01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('e2e', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('e2e')
