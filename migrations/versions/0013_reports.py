"""reports: the per-request figures of the service dashboard

Revision ID: 0013_reports
Revises: 0010_training_evidence
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_reports'
down_revision = '0010_training_evidence'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_service_fact',
    sa.Column('request_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('kelurahan', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('received_month', sa.String(length=7), nullable=False),
    sa.Column('ready_at', sa.DateTime(), nullable=True),
    sa.Column('ready_month', sa.String(length=7), nullable=True),
    sa.Column('handed_at', sa.DateTime(), nullable=True),
    sa.Column('handed_month', sa.String(length=7), nullable=True),
    sa.Column('last_month', sa.String(length=7), nullable=False),
    sa.Column('budget_minutes', sa.Integer(), nullable=False),
    sa.Column('service_minutes', sa.Integer(), nullable=True),
    sa.Column('returned_minutes', sa.Integer(), nullable=False),
    sa.Column('returned_times', sa.Integer(), nullable=False),
    sa.Column('returned_since', sa.DateTime(), nullable=True),
    sa.Column('pickup_minutes', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['document_request.id'],
                            name=op.f('fk_report_service_fact_request_id_document_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['type_id'], ['document_type.id'],
                            name=op.f('fk_report_service_fact_type_id_document_type')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_report_service_fact'))
    )
    op.create_index('ix_report_service_fact_window', 'report_service_fact', ['last_month', 'received_month'],
                    unique=False)
    # requests made before this table existed get their rows from `flask reports rebuild`


def downgrade():
    op.drop_index('ix_report_service_fact_window', table_name='report_service_fact')
    op.drop_table('report_service_fact')
