"""floor_queue; rooms: the open offer of the floor

Presenters denied the floor may wait in a queue (first come, first served); when the floor is released the
first is offered it for a few seconds, during which nobody else may take it. Both live in the database, as
the floor does, so several hub processes sharing a room agree on them.

Revision ID: c0queue01
Revises: c0identity01
Create Date: 2026-12-02 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0queue01'
down_revision = 'c0identity01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('floor_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_floor_queue_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_queue')),
    sa.UniqueConstraint('room_id', 'participant_id', name=op.f('uq_floor_queue_room_id_participant_id'))
    )
    with op.batch_alter_table('floor_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floor_queue_room_id'), ['room_id'], unique=False)
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_to_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('offer_to_name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('offer_until', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_column('offer_until')
        batch_op.drop_column('offer_to_name')
        batch_op.drop_column('offer_to_id')
    with op.batch_alter_table('floor_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_floor_queue_room_id'))
    op.drop_table('floor_queue')
