"""The complaint categories (the Open311 service list), and the department type each falls to by default.

A category's `department_type` is the catalog rule of routing: the kind of department (auth-svc's
`department_type`) responsible for the matter when neither the classifier nor the target object says
otherwise. `signal` is the category risk-svc counts the complaint under.
"""

from __future__ import annotations

from dataclasses import dataclass

from supervision_schemas.signals import ObservationCategory


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    description: str
    department_type: str | None
    signal: ObservationCategory
    group: str
    keywords: tuple[str, ...] = ()


CATEGORIES: tuple[Category, ...] = (
    Category(
        "food_safety",
        "食品安全",
        "变质、过期、不卫生食品，无证经营，餐饮卫生",
        "market_regulation",
        ObservationCategory.FOOD,
        "市场监管",
        ("食品", "餐饮", "过期", "变质", "外卖"),
    ),
    Category(
        "drug_safety",
        "药品安全",
        "假劣药品，无证售药，处方药违规销售",
        "drugs",
        ObservationCategory.DRUG,
        "药品监管",
        ("药品", "药店", "处方药", "假药"),
    ),
    Category(
        "medical_device",
        "医疗器械",
        "未注册或不合格的医疗器械及其销售",
        "drugs",
        ObservationCategory.MEDICAL_DEVICE,
        "药品监管",
        ("医疗器械", "血糖仪", "助听器"),
    ),
    Category(
        "medical_service",
        "医疗服务",
        "非法行医、虚假医疗广告、医疗机构违规",
        "health",
        ObservationCategory.MEDICAL_SERVICE,
        "卫生健康",
        ("医院", "诊所", "行医"),
    ),
    Category(
        "product_quality",
        "商品质量与消费纠纷",
        "商品质量问题、售后、退换货、合同纠纷",
        "market_regulation",
        ObservationCategory.OTHER,
        "市场监管",
        ("质量", "退货", "售后", "退款"),
    ),
    Category(
        "pricing",
        "价格收费",
        "价格欺诈、乱收费、明码标价",
        "market_regulation",
        ObservationCategory.OTHER,
        "市场监管",
        ("价格", "收费", "标价"),
    ),
    Category(
        "advertising",
        "广告宣传",
        "虚假广告、夸大宣传（医疗广告除外）",
        "market_regulation",
        ObservationCategory.OTHER,
        "市场监管",
        ("广告", "宣传"),
    ),
    Category(
        "special_equipment",
        "特种设备",
        "电梯、锅炉、气瓶、起重机械等特种设备安全",
        "market_regulation",
        ObservationCategory.OTHER,
        "市场监管",
        ("电梯", "锅炉", "气瓶"),
    ),
    Category(
        "illegal_fundraising",
        "非法集资与金融",
        "非法集资、高息揽储、非法放贷",
        "finance",
        ObservationCategory.FINANCIAL_PRODUCT,
        "地方金融",
        ("集资", "理财", "高息", "返利"),
    ),
    Category(
        "environment",
        "生态环境",
        "噪声、废气、废水、油烟、固废污染",
        "ecology_environment",
        ObservationCategory.OTHER,
        "生态环境",
        ("噪音", "污染", "排放", "油烟"),
    ),
    Category(
        "work_safety",
        "安全生产",
        "生产安全隐患、危险化学品、消防通道",
        "emergency",
        ObservationCategory.OTHER,
        "应急管理",
        ("安全隐患", "危险化学品", "违规作业"),
    ),
    Category(
        "housing_construction",
        "住房与建筑工程",
        "建筑施工、物业、房屋质量、预售",
        "housing",
        ObservationCategory.OTHER,
        "住房城乡建设",
        ("工地", "施工", "物业", "楼盘"),
    ),
    Category(
        "transport",
        "交通运输",
        "出租车、网约车、客运、货运违规",
        "transport",
        ObservationCategory.OTHER,
        "交通运输",
        ("出租车", "网约车", "客车", "公交"),
    ),
    Category("other", "其他", "无法归入以上类别的事项，由平台分拨", None, ObservationCategory.OTHER, "其他"),
)

BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
OTHER = BY_CODE["other"]
DEPARTMENT_TYPES: tuple[str, ...] = tuple(sorted({c.department_type for c in CATEGORIES if c.department_type}))


def get(code: str) -> Category | None:
    return BY_CODE.get(code)


def signal_category(code: str, text: str) -> ObservationCategory:
    """What risk-svc counts a complaint as; prescription drugs are told apart by the text."""
    category = BY_CODE.get(code, OTHER)
    if category.signal is ObservationCategory.DRUG and "处方" in text:
        return ObservationCategory.PRESCRIPTION_DRUG
    return category.signal
