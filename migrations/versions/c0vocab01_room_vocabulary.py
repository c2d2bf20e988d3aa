"""room vocabulary: terms and replacements for the stations' recognizers

Revision ID: c0vocab01
Revises: b86d06042d52
Create Date: 2026-12-02 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0vocab01'
down_revision = 'b86d06042d52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vocabulary', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('vocabulary')
