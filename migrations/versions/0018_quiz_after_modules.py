"""quiz after the modules: a course may let learners take its quiz before finishing every module

Revision ID: 0018_quiz_after_modules
Revises: 0017_competences
"""
from alembic import op
import sqlalchemy as sa


revision = '0018_quiz_after_modules'
down_revision = '0017_competences'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiz_before_modules', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_column('quiz_before_modules')
