"""API shapes of the supervised-object library, and the kind-specific attribute models."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from datahub_svc.cleaning.standardise import CleaningError, parse_amount, parse_date
from supervision_schemas.datahub import CreditClass, ObjectKind
from supervision_schemas.identifiers import NormalisedStr


def _date(value: object) -> object:
    try:
        return parse_date(value) if value not in (None, "") else None
    except CleaningError as exc:
        raise ValueError(exc.reason) from None


def _amount(value: object) -> object:
    try:
        return parse_amount(value) if value not in (None, "") else None
    except CleaningError as exc:
        raise ValueError(exc.reason) from None


ChineseDate = Annotated[date | None, BeforeValidator(_date)]
Amount = Annotated[Decimal | None, BeforeValidator(_amount)]
ShortText = Annotated[NormalisedStr | None, Field(default=None, max_length=200)]


class Attributes(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonRole(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    EXECUTIVE = "executive"
    LAWYER = "lawyer"
    ACCOUNTANT = "accountant"
    EXPERT = "expert"
    OTHER = "other"


class EquipmentType(StrEnum):
    ELEVATOR = "elevator"
    BOILER = "boiler"
    PRESSURE_VESSEL = "pressure_vessel"
    PRESSURE_PIPING = "pressure_piping"
    LIFTING_MACHINERY = "lifting_machinery"
    PASSENGER_ROPEWAY = "passenger_ropeway"
    AMUSEMENT_FACILITY = "amusement_facility"
    FIELD_VEHICLE = "field_vehicle"
    OTHER = "other"


class ProductType(StrEnum):
    DRUG = "drug"
    SPECIAL_FOOD = "special_food"
    MEDICAL_DEVICE = "medical_device"
    COSMETIC = "cosmetic"
    INDUSTRIAL_PRODUCT = "industrial_product"
    OTHER = "other"


class SiteType(StrEnum):
    CONSTRUCTION_SITE = "construction_site"
    RESERVOIR = "reservoir"
    MINE = "mine"
    MARKET = "market"
    VENUE = "venue"
    OTHER = "other"


class LegalPersonAttributes(Attributes):
    """法人: registration facts."""

    entity_type: ShortText = Field(default=None, description="企业类型, e.g. 有限责任公司.")
    registered_capital: Amount = Field(default=None, description="注册资本 in yuan (万元 accepted).")
    established_on: ChineseDate = Field(default=None, description="成立日期.")
    business_scope: NormalisedStr | None = Field(default=None, max_length=4000, description="经营范围.")
    registration_authority: ShortText = Field(default=None, description="登记机关.")
    operating_status: ShortText = Field(default=None, description="经营状态, e.g. 存续, 吊销.")


class NaturalPersonAttributes(Attributes):
    """特定自然人: legal representatives, executives, lawyers, accountants, experts."""

    role: PersonRole = PersonRole.OTHER
    employer_uscc: ShortText = Field(default=None, description="Credit code of the unit the person works for.")
    employer_name: ShortText = None
    practice_certificate: ShortText = Field(default=None, description="执业证号 (lawyers, accountants).")
    profession: ShortText = None


class EquipmentAttributes(Attributes):
    """设施设备: special equipment such as elevators and boilers."""

    equipment_type: EquipmentType = EquipmentType.OTHER
    model: ShortText = None
    manufacturer: ShortText = None
    installed_on: ChineseDate = None
    next_inspection_due: ChineseDate = Field(default=None, description="下次检验日期.")
    location: NormalisedStr | None = Field(default=None, max_length=500)


class ProductAttributes(Attributes):
    """特定产品: drugs, special foods, medical devices."""

    product_type: ProductType = ProductType.OTHER
    specification: ShortText = None
    manufacturer: ShortText = None
    approval_valid_until: ChineseDate = None


class SiteAttributes(Attributes):
    """场地场所: construction sites, reservoirs, markets."""

    site_type: SiteType = SiteType.OTHER
    area_m2: Decimal | None = Field(default=None, ge=0)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)


class ProjectAttributes(Attributes):
    """项目工程: investment projects."""

    project_type: ShortText = None
    investment_amount: Amount = Field(default=None, description="总投资 in yuan (万元 accepted).")
    start_on: ChineseDate = None
    end_on: ChineseDate = None
    builder: ShortText = Field(default=None, description="建设单位.")


ATTRIBUTE_MODELS: dict[ObjectKind, type[Attributes]] = {
    ObjectKind.LEGAL_PERSON: LegalPersonAttributes,
    ObjectKind.NATURAL_PERSON: NaturalPersonAttributes,
    ObjectKind.EQUIPMENT: EquipmentAttributes,
    ObjectKind.PRODUCT: ProductAttributes,
    ObjectKind.SITE: SiteAttributes,
    ObjectKind.PROJECT: ProjectAttributes,
}


class ObjectIn(BaseModel):
    """A supervised object as a provider sends it; cleaned and validated the same way as a file row.

    Identity: a legal person by `uscc` (else name + region), a natural person by `id_number`, the
    other kinds by their `code` (equipment register code, product approval number, site or project code).
    `attributes` are checked against the model of the kind (see the `*Attributes` schemas).
    """

    model_config = ConfigDict(extra="forbid")

    kind: ObjectKind
    name: str = Field(max_length=1000, description="Name (名称 / 姓名).")
    uscc: str | None = Field(default=None, max_length=100, description="统一社会信用代码 (legal persons).")
    owner_uscc: str | None = Field(
        default=None, max_length=100, description="Credit code of the responsible legal person."
    )
    code: str | None = Field(default=None, max_length=200, description="Kind-specific code.")
    id_number: str | None = Field(default=None, max_length=100, description="Resident ID number (natural persons).")
    legal_representative: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=1000)
    region_code: str = Field(max_length=20, description="GB/T 2260 region code.")
    department_id: uuid.UUID | None = Field(default=None, description="Supervising department.")
    department_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    industry_code: str | None = Field(default=None, max_length=20, description="Industry tag (GB/T 4754 code).")
    business_traits: list[str] | str = Field(
        default_factory=list, description="Business-trait tags: a list, or one text separated by | ; , or 、."
    )
    supervision_focus: list[str] | str = Field(default_factory=list, description="Supervision-focus tags, likewise.")
    credit_class: str | None = Field(default=None, max_length=5, description="Credit class tag A-E.")
    attributes: dict[str, Any] = Field(default_factory=dict, description="Kind-specific fields.")


class ObjectBatchIn(BaseModel):
    """Up to 1,000 objects applied together: all of them or, if any is invalid, none."""

    model_config = ConfigDict(extra="forbid")

    items: list[ObjectIn] = Field(min_length=1, max_length=1000)
    source: str | None = Field(default=None, max_length=100, description="Providing system, kept in lineage.")


class FieldLineage(BaseModel):
    source: str | None = None
    at: datetime


class ObjectRead(BaseModel):
    """A supervised object; personal identifiers are masked unless the caller's role may see them."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ObjectKind
    status: str
    merged_into: uuid.UUID | None
    name: str
    uscc: str | None
    owner_uscc: str | None
    code: str | None
    id_number: str | None
    legal_representative: str | None
    address: str | None
    region_code: str
    department_id: uuid.UUID | None
    department_name: str | None
    phone: str | None
    industry_code: str | None
    business_traits: list[str]
    supervision_focus: list[str]
    credit_class: CreditClass | None
    attributes: dict[str, Any]
    lineage: dict[str, FieldLineage]
    source: str | None
    version: int
    created_at: datetime
    modified_at: datetime


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class ObjectUpserted(BaseModel):
    row: int
    id: uuid.UUID
    outcome: UpsertOutcome


class BatchResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    items: list[ObjectUpserted]


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merged_object_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=1000)


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merged_object_id: uuid.UUID
    reason: str | None = Field(default=None, max_length=1000)


class MergeAuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    surviving_object_id: uuid.UUID
    merged_object_id: uuid.UUID
    reason: str | None
    actor: str
    at: datetime
