"""participants.admin_session: which participants joined as the signed-in admin

When a room's password is set or changed, the hub drops every reader whose proof that ended; the admin and
PIN presenters keep reading. Any hub process must tell the admin's connections apart, so the join keeps the
hash of the admin session it was opened with (the same hash as admin_sessions.token_hash).

Revision ID: c0lock01
Revises: c0verify01
Create Date: 2026-12-02 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0lock01'
down_revision = 'c0verify01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_session', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('admin_session')
