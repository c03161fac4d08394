"""Settings of joint-svc: deadlines, reminders, escalation, attachments and the sweep."""

from __future__ import annotations

from pydantic import Field, field_validator

from svc_runtime.settings import ServiceSettings


class JointSettings(ServiceSettings):
    service_name: str = "joint-svc"

    joint_default_workdays: dict[str, int] = Field(
        default_factory=lambda: {
            "approval_linkage": 20,
            "lead_forwarding": 10,
            "assistance": 10,
            "campaign": 30,
            "campaign_task": 30,
            "disposal": 10,
        },
        description="Working days a task of each kind has when its sender names no deadline (JSON object).",
    )
    joint_disposal_workdays_by_level: dict[str, int] = Field(
        default_factory=lambda: {"red": 3, "orange": 5, "yellow": 10, "blue": 15},
        description="Working days to dispose of a risk warning, by warning level (JSON object).",
    )
    joint_reminder_workdays: int = Field(
        default=1,
        ge=0,
        le=30,
        description="Remind the receiving department this many working days before the deadline.",
    )
    joint_escalation_ladder_workdays: list[int] = Field(
        default_factory=lambda: [0, 5],
        description="Escalation (督办) levels: level n is reached when the task is overdue by this many working days "
        "(0: as soon as the deadline passes); each level goes one step up the hierarchy (JSON list).",
    )
    joint_sweep_interval_s: float = Field(default=30.0, gt=0, description="How often the deadline sweep runs.")
    joint_sweep_batch: int = Field(default=200, ge=1, le=5000, description="Tasks one sweep transaction handles.")
    joint_sweep_enabled: bool = Field(default=True, description="Run the deadline sweep in this process.")
    joint_attachment_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "application/ofd",
            "image/jpeg",
            "image/png",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/zip",
            "video/mp4",
            "audio/mpeg",
            "text/plain",
        ],
        description="Media types attachments may have (JSON list).",
    )
    joint_attachment_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1, description="Largest attachment.")

    @field_validator("joint_escalation_ladder_workdays")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(v < 0 for v in value) or value != sorted(set(value)):
            raise ValueError("escalation ladder must be distinct non-negative working days in ascending order")
        return value
