"""rooms: read password hash (private rooms), published flag (archived transcripts)

A private room keeps the scrypt hash of its read password; readers prove it to join or download. An
archived room's transcript needs the admin, the PIN or the password until the admin publishes it.

Revision ID: c0private01
Revises: c0queue01
Create Date: 2026-12-02 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0private01'
down_revision = 'c0queue01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('published', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('published')
        batch_op.drop_column('read_hash')
