"""competences: competence records, positions and their required levels, what courses raise and fit;
plan items per person or group with quarter, cost (Rupiah) and funding source; course fee

Revision ID: 0017_competences
Revises: 0013_reports
"""
from alembic import op
import sqlalchemy as sa

revision = '0017_competences'
down_revision = '0013_reports'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('training_competence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.CheckConstraint("kind IN ('teknis', 'manajerial', 'sosial_kultural')", name=op.f('ck_training_competence_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_competence')),
    sa.UniqueConstraint('code', name=op.f('uq_training_competence_code'))
    )
    op.create_table('training_position',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.CheckConstraint("kind IN ('pelaksana', 'pengawas', 'administrator', 'fungsional')",
                       name=op.f('ck_training_position_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_position')),
    sa.UniqueConstraint('name', name=op.f('uq_training_position_name'))
    )
    with op.batch_alter_table('training_position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_position_kind'), ['kind'], unique=False)

    op.create_table('training_position_competence',
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('competence_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_training_position_competence_level')),
    sa.ForeignKeyConstraint(['competence_id'], ['training_competence.id'], name=op.f('fk_training_position_competence_competence_id_training_competence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['position_id'], ['training_position.id'], name=op.f('fk_training_position_competence_position_id_training_position'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('position_id', 'competence_id', name=op.f('pk_training_position_competence'))
    )
    with op.batch_alter_table('training_position_competence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_position_competence_competence_id'), ['competence_id'], unique=False)

    op.create_table('training_person_position',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['position_id'], ['training_position.id'], name=op.f('fk_training_person_position_position_id_training_position')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_training_person_position_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_training_person_position'))
    )
    with op.batch_alter_table('training_person_position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_person_position_position_id'), ['position_id'], unique=False)

    op.create_table('training_person_competence',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('competence_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 0 AND 5', name=op.f('ck_training_person_competence_level')),
    sa.ForeignKeyConstraint(['competence_id'], ['training_competence.id'], name=op.f('fk_training_person_competence_competence_id_training_competence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_training_person_competence_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'competence_id', name=op.f('pk_training_person_competence'))
    )
    with op.batch_alter_table('training_person_competence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_person_competence_competence_id'), ['competence_id'], unique=False)

    op.create_table('training_course_competence',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('competence_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_training_course_competence_level')),
    sa.ForeignKeyConstraint(['competence_id'], ['training_competence.id'], name=op.f('fk_training_course_competence_competence_id_training_competence'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_course_competence_course_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'competence_id', name=op.f('pk_training_course_competence'))
    )
    with op.batch_alter_table('training_course_competence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_course_competence_competence_id'), ['competence_id'], unique=False)

    op.create_table('training_course_position',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position_kind', sa.String(length=20), nullable=False),
    sa.CheckConstraint("position_kind IN ('pelaksana', 'pengawas', 'administrator', 'fungsional')",
                       name=op.f('ck_training_course_position_position_kind')),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], name=op.f('fk_training_course_position_course_id_training_course'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'position_kind', name=op.f('pk_training_course_position'))
    )
    with op.batch_alter_table('training_course_position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_course_position_position_kind'), ['position_kind'], unique=False)

    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fee', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('training_plan_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_label', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('participants', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('competence_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quarter', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cost', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('funding', sa.String(length=10), server_default='apbd', nullable=False))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_training_plan_item_competence_id_training_competence'),
                                    'training_competence', ['competence_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_training_plan_item_cost'), 'cost >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_training_plan_item_participants'), 'participants >= 1')
        batch_op.create_check_constraint(batch_op.f('ck_training_plan_item_quarter'),
                                         'quarter IS NULL OR quarter BETWEEN 1 AND 4')
        batch_op.create_check_constraint(batch_op.f('ck_training_plan_item_funding'),
                                         "funding IN ('apbd', 'free', 'external')")
        batch_op.create_check_constraint(batch_op.f('ck_training_plan_item_person_or_group'),
                                         'user_id IS NOT NULL OR group_label IS NOT NULL')

def downgrade():
    op.execute("DELETE FROM training_plan_item WHERE user_id IS NULL")
    with op.batch_alter_table('training_plan_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_training_plan_item_person_or_group'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_training_plan_item_funding'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_training_plan_item_quarter'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_training_plan_item_participants'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_training_plan_item_cost'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_training_plan_item_competence_id_training_competence'),
                                 type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('funding')
        batch_op.drop_column('cost')
        batch_op.drop_column('quarter')
        batch_op.drop_column('competence_id')
        batch_op.drop_column('participants')
        batch_op.drop_column('group_label')

    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_column('fee')

    for table, index in (('training_course_position', 'position_kind'), ('training_course_competence', 'competence_id'),
                         ('training_person_competence', 'competence_id'), ('training_person_position', 'position_id'),
                         ('training_position_competence', 'competence_id'), ('training_position', 'kind')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{index}'))
        op.drop_table(table)
    op.drop_table('training_competence')
