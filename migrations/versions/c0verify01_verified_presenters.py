"""rooms.verify_presenters, participants.approved: presenters without the PIN wait for approval

In a room with verification on, a presenter who joins without the PIN waits until the admin or a PIN
presenter approves it; the approval is kept on the participant, so it survives a resume.

Revision ID: c0verify01
Revises: c0e2e01
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0verify01'
down_revision = 'c0e2e01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_presenters', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('approved')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('verify_presenters')
