"""participants: resume token hash; admin_sessions

A participant's public id is no longer enough to resume it: the hub keeps the SHA-256 of a secret token it
gave that participant's client alone. Rows from before have no token and cannot be resumed (their clients
join afresh). Admin sign-ins are kept server-side (hashed), so signing out revokes copies of the cookie.

Revision ID: c0identity01
Revises: c0vocab01
Create Date: 2026-12-02 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0identity01'
down_revision = 'c0vocab01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    op.create_table('admin_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_admin_sessions'))
    )


def downgrade():
    op.drop_table('admin_sessions')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('token_hash')
