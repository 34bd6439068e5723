"""Name pools for the synthetic data generator: people (mostly Chinese, some English) with
email-safe romanisations, buyer roles, accounts, and the sales organisation."""

from __future__ import annotations

from typing import Final

__all__ = [
    "CITIES",
    "ENGLISH_ACCOUNTS",
    "ENGLISH_FAMILY",
    "ENGLISH_GIVEN",
    "FAMILY",
    "GIVEN",
    "INDUSTRIES",
    "ROLES",
    "TRADE_NAMES",
]

#: (surname, pinyin) — the most common Chinese surnames.
FAMILY: Final[tuple[tuple[str, str], ...]] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
)

#: (given name, pinyin).
GIVEN: Final[tuple[tuple[str, str], ...]] = (
    ("伟", "wei"),
    ("娜", "na"),
    ("芳", "fang"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("强", "qiang"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("建华", "jianhua"),
    ("晓东", "xiaodong"),
    ("丽华", "lihua"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("子轩", "zixuan"),
    ("雨桐", "yutong"),
)

ENGLISH_GIVEN: Final = (
    "James",
    "Emma",
    "Oliver",
    "Sophia",
    "Daniel",
    "Grace",
    "Michael",
    "Hannah",
    "David",
    "Chloe",
)
ENGLISH_FAMILY: Final = (
    "Smith",
    "Miller",
    "Clarke",
    "Turner",
    "Walker",
    "Bennett",
    "Hughes",
    "Foster",
)

#: (role, is decision-maker, relative frequency).
ROLES: Final[tuple[tuple[str, bool, float], ...]] = (
    ("CTO", True, 0.12),
    ("CFO", True, 0.08),
    ("CEO", True, 0.05),
    ("VP Sales", True, 0.06),
    ("Head of IT", False, 0.12),
    ("Procurement", False, 0.16),
    ("Engineer", False, 0.16),
    ("Legal", False, 0.07),
    ("Operations Manager", False, 0.10),
    ("Finance Analyst", False, 0.08),
)

#: (Chinese, pinyin) parts of account names: city + trade name + industry + 有限公司.
CITIES: Final[tuple[tuple[str, str], ...]] = (
    ("北京", "bj"),
    ("上海", "sh"),
    ("深圳", "sz"),
    ("杭州", "hz"),
    ("苏州", "suz"),
    ("成都", "cd"),
    ("武汉", "wh"),
    ("南京", "nj"),
)
TRADE_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("星辰", "xingchen"),
    ("华信", "huaxin"),
    ("远航", "yuanhang"),
    ("中科", "zhongke"),
    ("联创", "lianchuang"),
    ("博达", "boda"),
    ("天成", "tiancheng"),
    ("恒通", "hengtong"),
    ("瑞丰", "ruifeng"),
    ("海纳", "haina"),
)
INDUSTRIES: Final[tuple[tuple[str, str], ...]] = (
    ("科技", "tech"),
    ("制造", "mfg"),
    ("物流", "logistics"),
    ("医疗", "health"),
    ("能源", "energy"),
    ("零售", "retail"),
)
ENGLISH_ACCOUNTS: Final[tuple[tuple[str, str], ...]] = (
    ("Northwind Logistics", "northwind"),
    ("Contoso Manufacturing", "contoso"),
    ("Fabrikam Health", "fabrikam"),
    ("Tailspin Energy", "tailspin"),
    ("Litware Retail", "litware"),
    ("Adatum Systems", "adatum"),
)
