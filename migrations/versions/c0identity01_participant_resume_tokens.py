"""participants: resume token hash

A participant's public id is no longer enough to resume it: the hub keeps the SHA-256 of a secret token it
gave that participant's client alone. Rows from before have no token and cannot be resumed (their clients
join afresh).

Revision ID: c0identity01
Revises: b86d06042d52
Create Date: 2026-12-02 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0identity01'
down_revision = 'b86d06042d52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('token_hash')
