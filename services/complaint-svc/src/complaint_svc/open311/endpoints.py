"""Open311 GeoReport v2, served under /open311/v2 (through the gateway, without login).

Service list, service definition, submit a request (form-encoded; api_key optional), query requests,
one request by id, and the token resource; each in JSON or XML (`.json` / `.xml`), errors as the
spec's list of {code, description}. Services are the complaint categories; `attribute[kind]`
chooses complaint (投诉) or report (举报). Reports are never listed publicly (whistle-blower
protection) and descriptions shown publicly have identity and phone numbers masked.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import select

from complaint_svc import categories, pii
from complaint_svc.complaints import service
from complaint_svc.complaints.models import Complaint
from complaint_svc.complaints.schemas import ComplaintIn
from complaint_svc.deps import ContextDep
from complaint_svc.open311.render import FORMATS, document, errors
from supervision_schemas.complaint import ComplaintChannel, ComplaintKind, ComplaintStatus
from svc_runtime.db import SessionDep, utc_now
from svc_runtime.problems import Conflict
from svc_runtime.workdays import CHINA_TZ

router = APIRouter(prefix="/open311/v2", tags=["open311"])
CLOSED = {
    ComplaintStatus.REJECTED,
    ComplaintStatus.REPLIED,
    ComplaintStatus.CLOSED,
    ComplaintStatus.VISITED,
    ComplaintStatus.RATED,
}
STATUS_NOTES = {
    "received": "已接收，待受理",
    "accepted": "已受理",
    "rejected": "不予受理",
    "dispatched": "已派单",
    "handling": "办理中",
    "replied": "已答复",
    "closed": "已办结",
    "visited": "已回访",
    "rated": "已评价",
    "merged": "已并案办理",
}
MAX_LIST = 1000
ATTRIBUTES: list[dict[str, Any]] = [
    {
        "variable": True,
        "code": "kind",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 1,
        "datatype_description": "complaint or report",
        "description": "投诉（与经营者的消费纠纷）或举报（违法行为线索）",
        "values": [{"key": "complaint", "name": "投诉"}, {"key": "report", "name": "举报"}],
    },
    {
        "variable": True,
        "code": "target_name",
        "datatype": "string",
        "required": False,
        "order": 2,
        "datatype_description": "name of the business or organisation",
        "description": "被投诉举报对象名称",
    },
    {
        "variable": True,
        "code": "target_uscc",
        "datatype": "string",
        "required": False,
        "order": 3,
        "datatype_description": "18-character unified social credit code",
        "description": "对象统一社会信用代码",
    },
    {
        "variable": True,
        "code": "region_code",
        "datatype": "string",
        "required": False,
        "order": 4,
        "datatype_description": "6-digit GB/T 2260 region code",
        "description": "事发地行政区划代码",
    },
    {
        "variable": True,
        "code": "anonymous",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 5,
        "datatype_description": "true or false",
        "description": "是否匿名",
        "values": [{"key": "false", "name": "实名"}, {"key": "true", "name": "匿名"}],
    },
    {
        "variable": True,
        "code": "id_number",
        "datatype": "string",
        "required": False,
        "order": 6,
        "datatype_description": "resident identity number (kept confidential)",
        "description": "投诉人身份证号（保密）",
    },
]
_ATTRIBUTE_CODES = {a["code"] for a in ATTRIBUTES}


def _split(name: str) -> tuple[str, str] | None:
    """`requests.json` -> ("requests", "json")."""
    base, dot, fmt = name.rpartition(".")
    return (base, fmt) if dot and fmt in FORMATS else None


def _time(value: datetime | None) -> str | None:
    return value.astimezone(CHINA_TZ).isoformat(timespec="seconds") if value else None


def _service(c: categories.Category) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": True,
        "type": "realtime",
        "keywords": list(c.keywords),
        "group": c.group,
    }


def _request_view(c: Complaint, master: Complaint | None = None) -> dict[str, Any]:
    status = ComplaintStatus(c.status)
    effective = ComplaintStatus(master.status) if master is not None else status
    closed = effective in CLOSED or (status is ComplaintStatus.MERGED and c.result_code is not None)
    notes = STATUS_NOTES.get(effective.value, effective.value)
    if c.result_summary and closed:
        notes = f"{notes}：{c.result_summary}"
    due = c.accept_due if status is ComplaintStatus.RECEIVED else c.handle_due
    report = c.kind == ComplaintKind.REPORT
    category = categories.BY_CODE.get(c.category, categories.OTHER)
    return {
        "service_request_id": c.tracking_no,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": category.name,
        "service_code": category.code,
        "description": None if report else pii.scrub_text(c.content),
        "agency_responsible": c.department_name,
        "service_notice": None,
        "requested_datetime": _time(c.received_at),
        "updated_datetime": _time(c.modified_at or c.received_at),
        "expected_datetime": _time(due) if not closed else None,
        "address": None if report else c.address,
        "address_id": None,
        "zipcode": None,
        "lat": None if report else c.lat,
        "long": None if report else c.long,
        "media_url": None if report or not c.media_urls else c.media_urls[0],
    }


@router.get("/services.{fmt}", summary="Open311: list the services (complaint categories)")
async def services(fmt: str, ctx: ContextDep, jurisdiction_id: str | None = None) -> Response:
    """GeoReport v2 service list: one service per complaint category."""
    if fmt not in FORMATS:
        return errors("json", 404, f"format {fmt!r} is not supported; use json or xml")
    if jurisdiction_id and jurisdiction_id != ctx.settings.open311_jurisdiction_id:
        return errors(fmt, 404, f"jurisdiction_id {jurisdiction_id!r} not found")
    return document(fmt, "services", "service", [_service(c) for c in categories.CATEGORIES])


@router.get("/services/{name}", summary="Open311: one service's definition (its attributes)")
async def service_definition(name: str, ctx: ContextDep, jurisdiction_id: str | None = None) -> Response:
    """GeoReport v2 service definition: the extra attributes a request of this service takes."""
    parsed = _split(name)
    if parsed is None:
        return errors("json", 404, "use services/{service_code}.json or .xml")
    code, fmt = parsed
    if jurisdiction_id and jurisdiction_id != ctx.settings.open311_jurisdiction_id:
        return errors(fmt, 404, f"jurisdiction_id {jurisdiction_id!r} not found")
    if code not in categories.BY_CODE:
        return errors(fmt, 404, f"service_code {code!r} not found")
    return document(fmt, "service_definition", None, {"service_code": code, "attributes": ATTRIBUTES})


async def _form(request: Request) -> list[tuple[str, str]]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    raw = await request.body()
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Bad([f"the body is not form-encoded UTF-8: {exc}"]) from None


class _Bad(Exception):
    def __init__(self, messages: list[str], status: int = 400) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.status = status


def _to_complaint(ctx: service.Context, form: dict[str, str], attributes: dict[str, str]) -> tuple[ComplaintIn, str]:
    """The native submission of an Open311 request, and the channel the api_key stands for."""
    problems: list[str] = []
    api_key = form.get("api_key") or None
    channel = ComplaintChannel.PUBLIC_PORTAL
    if api_key is not None:
        known = ctx.settings.open311_api_keys.get(api_key)
        if known is None:
            raise _Bad(["api_key is not valid"], 403)
        channel = known
    if form.get("jurisdiction_id") and form["jurisdiction_id"] != ctx.settings.open311_jurisdiction_id:
        raise _Bad([f"jurisdiction_id {form['jurisdiction_id']!r} not found"], 404)
    code = form.get("service_code", "").strip()
    if not code:
        problems.append("service_code is required")
    elif code not in categories.BY_CODE:
        problems.append(f"service_code {code!r} not found; see services.json")
    lat, lon = form.get("lat", "").strip(), form.get("long", "").strip()
    if not ((lat and lon) or form.get("address_string", "").strip() or form.get("address_id", "").strip()):
        problems.append("a location is required: lat and long, address_string or address_id")
    if bool(lat) != bool(lon):
        problems.append("lat and long go together")
    unknown = sorted(set(attributes) - _ATTRIBUTE_CODES)
    if unknown:
        problems.append(f"unknown attribute(s): {', '.join(unknown)}; see the service definition")
    kind = attributes.get("kind", "complaint")
    if kind not in ("complaint", "report"):
        problems.append("attribute[kind] must be complaint or report")
    anonymous = attributes.get("anonymous", "").lower()
    if anonymous not in ("", "true", "false"):
        problems.append("attribute[anonymous] must be true or false")
    if problems:
        raise _Bad(problems)
    name = "".join(filter(None, [form.get("last_name", "").strip(), form.get("first_name", "").strip()])) or None
    anon = anonymous == "true" or (anonymous == "" and name is None and not attributes.get("id_number"))
    target = None
    if attributes.get("target_name") or attributes.get("target_uscc"):
        target = {"name": attributes.get("target_name") or None, "uscc": attributes.get("target_uscc") or None}
    payload: dict[str, Any] = {
        "kind": kind,
        "channel": channel.value,
        "content": form.get("description", ""),
        "category": code,
        "region_code": attributes.get("region_code") or ctx.settings.open311_default_region,
        "address": form.get("address_string") or form.get("address_id") or None,
        "lat": float(lat) if _is_float(lat) else lat or None,
        "long": float(lon) if _is_float(lon) else lon or None,
        "target": target,
        "complainant": {
            "anonymous": anon,
            "name": None if anon else name,
            "phone": form.get("phone") or None,
            "email": form.get("email") or None,
            "id_number": None if anon else attributes.get("id_number") or None,
        },
        "media_urls": [form["media_url"]] if form.get("media_url") else [],
    }
    try:
        return ComplaintIn.model_validate(payload), api_key or "public"
    except ValidationError as exc:
        names = {"content": "description", "address": "address_string", "media_urls": "media_url"}
        messages = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"] if not isinstance(p, int)]
            field = names.get(loc[0], loc[0]) if loc else "request"
            if loc and loc[0] in ("complainant", "target"):
                field = loc[-1] if loc[0] == "complainant" else f"attribute[target_{loc[-1]}]"
            if loc and loc[0] == "region_code":
                field = "attribute[region_code]"
            messages.append(f"{field}: {e['msg']}")
        raise _Bad(messages) from None


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@router.post("/requests.{fmt}", summary="Open311: submit a service request (complaint or report)")
async def submit(fmt: str, request: Request, session: SessionDep, ctx: ContextDep) -> Response:
    """GeoReport v2 POST service request (form-encoded): returns the service_request_id (tracking number)."""
    if fmt not in FORMATS:
        return errors("json", 404, f"format {fmt!r} is not supported; use json or xml")
    try:
        pairs = await _form(request)
        form: dict[str, str] = {}
        attributes: dict[str, str] = {}
        for key, value in pairs:
            if key.startswith("attribute[") and key.endswith("]"):
                attributes[key[10:-1]] = value.strip()
            else:
                form[key] = value
        body, key_owner = _to_complaint(ctx, form, attributes)
    except _Bad as bad:
        return errors(fmt, bad.status, *bad.messages)
    idempotency_key = request.headers.get("idempotency-key")
    if not idempotency_key:  # the same form sent twice is the same submission (for a day)
        idempotency_key = "fp:" + hashlib.sha256(repr(sorted(pairs)).encode()).hexdigest()
    try:
        complaint, _ = await service.intake(
            session,
            ctx,
            body,
            principal=f"open311:{key_owner}"[:200],
            idempotency_key=idempotency_key[:200],
            attributes={"device_id": form.get("device_id"), "account_id": form.get("account_id")},
        )
    except Conflict as exc:
        return errors(fmt, 409, exc.detail or "conflict")
    code = service.access_code(ctx.settings, complaint.tracking_no)
    notice = f"已收到，受理编号 {complaint.tracking_no}，查询码 {code}（请妥善保存）。"
    item = {
        "service_request_id": complaint.tracking_no,
        "token": complaint.tracking_no,
        "service_notice": notice,
        "account_id": form.get("account_id") or None,
    }
    return document(fmt, "service_requests", "request", [item])


async def _masters(session: SessionDep, rows: list[Complaint]) -> dict[Any, Complaint]:
    ids = {c.merged_into for c in rows if c.merged_into is not None}
    if not ids:
        return {}
    return {m.id: m for m in (await session.scalars(select(Complaint).where(Complaint.id.in_(ids)))).all()}


@router.get("/requests.{fmt}", summary="Open311: query service requests")
async def query(
    fmt: str,
    session: SessionDep,
    ctx: ContextDep,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    """GeoReport v2 GET service requests: by ids, or by service, dates and status (default the last 90 days)."""
    if fmt not in FORMATS:
        return errors("json", 404, f"format {fmt!r} is not supported; use json or xml")
    if jurisdiction_id and jurisdiction_id != ctx.settings.open311_jurisdiction_id:
        return errors(fmt, 404, f"jurisdiction_id {jurisdiction_id!r} not found")
    statement = select(Complaint)
    if service_request_id:
        ids = [i.strip().upper() for i in service_request_id.split(",") if i.strip()][:MAX_LIST]
        statement = statement.where(Complaint.tracking_no.in_(ids))
    else:
        problems = []
        try:
            start = datetime.fromisoformat(start_date) if start_date else None
            end = datetime.fromisoformat(end_date) if end_date else None
        except ValueError:
            return errors(fmt, 400, "start_date and end_date must be ISO 8601 (w3c) date-times")
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=CHINA_TZ)
        if end is not None and end.tzinfo is None:
            end = end.replace(tzinfo=CHINA_TZ)
        end = end or utc_now()
        start = start or end - timedelta(days=90)
        if start > end:
            problems.append("start_date is after end_date")
        if service_code:
            codes = [c.strip() for c in service_code.split(",") if c.strip()]
            unknown = [c for c in codes if c not in categories.BY_CODE]
            if unknown:
                problems.append(f"service_code {', '.join(unknown)} not found")
            statement = statement.where(Complaint.category.in_(codes))
        wanted = {s.strip() for s in (status or "").split(",") if s.strip()}
        if wanted - {"open", "closed"}:
            problems.append("status must be open or closed")
        if problems:
            return errors(fmt, 400, *problems)
        closed_values = [s.value for s in CLOSED]
        if wanted == {"open"}:
            statement = statement.where(Complaint.status.not_in(closed_values), Complaint.result_code.is_(None))
        elif wanted == {"closed"}:
            statement = statement.where(Complaint.status.in_(closed_values) | Complaint.result_code.is_not(None))
        statement = statement.where(
            Complaint.kind == ComplaintKind.COMPLAINT.value,
            Complaint.received_at >= start.astimezone(UTC),
            Complaint.received_at <= end.astimezone(UTC),
        )
    rows = list((await session.scalars(statement.order_by(Complaint.received_at.desc()).limit(MAX_LIST))).all())
    masters = await _masters(session, rows)
    body = [_request_view(c, masters.get(c.merged_into)) for c in rows]
    return document(fmt, "service_requests", "request", body)


@router.get("/requests/{name}", summary="Open311: one service request by id")
async def one(name: str, session: SessionDep, ctx: ContextDep, jurisdiction_id: str | None = None) -> Response:
    """GeoReport v2 GET one service request by its service_request_id (the tracking number)."""
    parsed = _split(name)
    if parsed is None:
        return errors("json", 404, "use requests/{service_request_id}.json or .xml")
    ref, fmt = parsed
    if jurisdiction_id and jurisdiction_id != ctx.settings.open311_jurisdiction_id:
        return errors(fmt, 404, f"jurisdiction_id {jurisdiction_id!r} not found")
    complaint = await session.scalar(select(Complaint).where(Complaint.tracking_no == ref.upper()))
    if complaint is None:
        return errors(fmt, 404, f"service_request_id {ref!r} not found")
    masters = await _masters(session, [complaint])
    return document(fmt, "service_requests", "request", [_request_view(complaint, masters.get(complaint.merged_into))])


@router.get("/tokens/{name}", summary="Open311: the service request id of a token")
async def token(name: str, session: SessionDep) -> Response:
    """GeoReport v2 token lookup (requests are created at once, so a token is its request's id)."""
    parsed = _split(name)
    if parsed is None:
        return errors("json", 404, "use tokens/{token}.json or .xml")
    ref, fmt = parsed
    found = await session.scalar(select(Complaint.tracking_no).where(Complaint.tracking_no == ref.upper()))
    if found is None:
        return errors(fmt, 404, f"token {ref!r} not found")
    return document(fmt, "service_requests", "request", [{"service_request_id": found, "token": found}])


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
async def unknown(rest: str) -> Response:
    """Anything else under /open311/v2 is a 404 in the spec's error format."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return errors(fmt, 404, f"no Open311 resource {rest!r}")
