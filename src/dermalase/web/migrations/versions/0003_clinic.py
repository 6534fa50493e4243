"""Sessions on the server, sign-in holds, the patient record a clinic keeps, notes, the trash,
the shared job queue, audit details.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", TZ, nullable=True))
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("record_number", sa.String(64), nullable=True))
        batch.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
        batch.add_column(sa.Column("sex", sa.String(16), nullable=True))
        batch.add_column(sa.Column("clinician", sa.String(64), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("created_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("deleted_at", TZ, nullable=True))
        batch.add_column(sa.Column("deleted_by", sa.String(64), nullable=True))
        batch.create_index("ix_patients_record_number", ["record_number"])
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", TZ, nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("detail", sa.String(200), nullable=True))
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False))
    op.create_index("ix_notes_patient_id", "notes", ["patient_id"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("ended_why", sa.String(32), nullable=True),
        sa.Column("address", sa.String(64), nullable=True))
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "sign_in_holds",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", TZ, nullable=False),
        sa.Column("hold_until", TZ, nullable=True))


def downgrade() -> None:
    op.drop_table("sign_in_holds")
    op.drop_index("ix_web_sessions_user_id", "web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_notes_patient_id", "notes")
    op.drop_table("notes")
    with op.batch_alter_table("audit") as batch:
        batch.drop_column("detail")
    with op.batch_alter_table("jobs") as batch:
        for c in ("attempts", "heartbeat_at", "owner", "payload"):
            batch.drop_column(c)
    with op.batch_alter_table("patients") as batch:
        batch.drop_index("ix_patients_record_number")
        for c in ("deleted_by", "deleted_at", "created_by", "notes", "clinician", "sex",
                  "date_of_birth", "record_number"):
            batch.drop_column(c)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("disabled_at")
