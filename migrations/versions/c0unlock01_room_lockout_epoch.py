"""room lockout epoch: the operator lifts a room's PIN and password lockouts by starting a new epoch

Revision ID: c0unlock01
Revises: c0lock01
Create Date: 2026-12-07 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0unlock01'
down_revision = 'c0lock01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lockout_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('lockout_epoch')
