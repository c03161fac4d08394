"""Plain enumerations of items, importable without the database layer (the file checker uses them)."""

from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    MAIN = "main"
    SUB = "sub"


class ObjectType(StrEnum):
    """Kinds of supervised object (监管对象类型)."""

    LEGAL_PERSON = "legal_person"
    NATURAL_PERSON = "natural_person"
    EQUIPMENT = "equipment"
    PRODUCT = "product"
    SITE = "site"
    PROJECT = "project"


class SupervisionMethod(StrEnum):
    """How supervision is done (监管方式)."""

    ON_SITE = "on_site"
    NON_SITE = "non_site"
    DOCUMENT_REVIEW = "document_review"
    RANDOM_CHECK = "random_check"
    KEY_SUPERVISION = "key_supervision"
    CREDIT_SUPERVISION = "credit_supervision"
    JOINT_CHECK = "joint_check"


__all__ = ["ItemKind", "ObjectType", "SupervisionMethod"]
