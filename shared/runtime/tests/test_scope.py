"""Data scope rules: region subtrees, departments and read-only roles."""

import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, Uuid, select
from sqlalchemy.dialects import postgresql

from svc_runtime.auth import Principal
from svc_runtime.scope import DataScope, OutOfScope, region_contains, region_prefix

DEPT = uuid.uuid4()
OTHER = uuid.uuid4()
records = Table("records", MetaData(), Column("region_code", String), Column("department_id", Uuid))


def scope(*roles: str, region: str | None = "341602", dept: uuid.UUID | None = DEPT) -> DataScope:
    return DataScope(
        Principal(
            subject="u",
            client_id=None,
            roles=frozenset(roles),
            region_code=region,
            department_id=str(dept) if dept else None,
        )
    )


@pytest.mark.parametrize(
    ("code", "prefix"), [("000000", ""), ("340000", "34"), ("341600", "3416"), ("341602", "341602")]
)
def test_region_prefix(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


def test_region_containment() -> None:
    assert region_contains("340000", "341602")
    assert region_contains("341600", "341602")
    assert not region_contains("341602", "341600")
    assert not region_contains("620000", "341602")


class TestCountyOfficer:
    def test_reads_only_own_county_and_department(self) -> None:
        s = scope("inspector")
        assert s.can_read(region_code="341602", department_id=DEPT)
        assert not s.can_read(region_code="341602", department_id=OTHER)
        assert not s.can_read(region_code="341621", department_id=DEPT)
        assert not s.can_read(region_code="341600")

    def test_writes_only_own_county_and_department(self) -> None:
        s = scope("inspector")
        s.check_write(region_code="341602", department_id=DEPT)
        for region, dept in (("341621", DEPT), ("341602", OTHER), ("620423", None)):
            with pytest.raises(OutOfScope):
                s.check_write(region_code=region, department_id=dept)

    def test_filter_compiles_to_prefix_and_department(self) -> None:
        sql = str(
            scope("inspector")
            .filter(select(records), region=records.c.region_code, department=records.c.department_id)
            .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        assert "LIKE '341602' || '%%'" in sql
        assert str(DEPT).replace("-", "") in sql.replace("-", "")


class TestProvincialLeader:
    def test_reads_the_whole_province_every_department(self) -> None:
        s = scope("leader", region="340000", dept=None)
        assert s.can_read(region_code="341602", department_id=OTHER)
        assert not s.can_read(region_code="620423")

    def test_cannot_write(self) -> None:
        with pytest.raises(OutOfScope, match="read"):
            scope("leader", region="340000").check_write(region_code="341602")


def test_platform_admin_is_unrestricted() -> None:
    s = scope("platform_admin", region=None, dept=None)
    assert s.can_read(region_code="620423", department_id=OTHER)
    s.check_write(region_code="620423", department_id=OTHER)


def test_token_without_region_is_refused_not_unrestricted() -> None:
    with pytest.raises(OutOfScope, match="no region"):
        scope("inspector", region=None).filter(select(records), region=records.c.region_code)
