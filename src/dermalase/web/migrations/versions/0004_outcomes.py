"""Treatment records, predictions, follow-up visits, photographs, calibrations (issue 34), and
the calibration each plan was made under.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("calibration", sa.String(64), nullable=False,
                                   server_default="published"))
    _treatments()
    _follow_ups()
    _calibrations()


def _treatments() -> None:
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plans.id"), nullable=True),
        sa.Column("concern", sa.Integer(), nullable=True),
        sa.Column("treated_on", sa.Date(), nullable=False),
        sa.Column("clinician", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("modality", sa.String(64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("physics", sa.JSON(), nullable=True),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=True),
        sa.Column("anaesthesia", sa.String(32), nullable=False),
        sa.Column("care", sa.JSON(), nullable=False),
        sa.Column("consent_signed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("departures", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False))
    op.create_index("ix_treatments_patient_id", "treatments", ["patient_id"])
    op.create_index("ix_treatments_plan_id", "treatments", ["plan_id"])
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("treatment_id", sa.Integer(), sa.ForeignKey("treatments.id"),
                  nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("calibration", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True))
    op.create_index("ix_predictions_treatment_id", "predictions", ["treatment_id"])


def _follow_ups() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("treatment_id", sa.Integer(), sa.ForeignKey("treatments.id"),
                  nullable=False),
        sa.Column("seen_on", sa.Date(), nullable=False),
        sa.Column("day_healed", sa.Float(), nullable=True),
        sa.Column("erythema_end_day", sa.Float(), nullable=True),
        sa.Column("social_downtime_days", sa.Float(), nullable=True),
        sa.Column("complications", sa.JSON(), nullable=False),
        sa.Column("improvement_scale", sa.String(32), nullable=True),
        sa.Column("improvement_grade", sa.Integer(), nullable=True),
        sa.Column("patient_rating", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False))
    op.create_index("ix_follow_ups_treatment_id", "follow_ups", ["treatment_id"])
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("follow_up_id", sa.Integer(), sa.ForeignKey("follow_ups.id"),
                  nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("mime", sa.String(16), nullable=False),
        sa.Column("ext", sa.String(8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False))
    op.create_index("ix_photos_follow_up_id", "photos", ["follow_up_id"])
    op.create_index("ix_photos_sha256", "photos", ["sha256"])


def _calibrations() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("adopted_at", TZ, nullable=True),
        sa.Column("adopted_by", sa.String(64), nullable=True),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_table("calibrations")
    op.drop_table("photos")
    op.drop_table("follow_ups")
    op.drop_table("predictions")
    op.drop_table("treatments")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("calibration")
