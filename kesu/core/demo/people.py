"""Staff accounts and customer profiles of the demo.

Every phone number is a made-up 138/139 mobile number and every e-mail address uses the
reserved example.com / example.net / example.org domains, so nothing in the demo can reach
a real person if mail or SMS sending is switched on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from kesu.core.defaults import ROOT_CODE
from kesu.core.demo.org import COMPANY, STORES, UNITS
from kesu.customers.actions import CustomerInput
from kesu.customers.choices import CustomerLevel, CustomerType
from kesu.org.actions import NewUser, do_create_user
from kesu.org.choices import Role
from kesu.org.models import User


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    role: str
    unit: str
    department: str | None = None


STAFF = [
    StaffSpec("wangfang", "王芳", Role.INTAKE_AGENT, ROOT_CODE, "CS"),
    StaffSpec("liuting", "刘婷", Role.INTAKE_AGENT, ROOT_CODE, "CS"),
    StaffSpec("lina", "李娜", Role.INTAKE_AGENT, "SH-NJL", None),
    StaffSpec("chenjing", "陈静", Role.INTAKE_AGENT, "GZ-TH", None),
    StaffSpec("guoyan", "郭艳", Role.INTAKE_AGENT, "HZ-XH", None),
    StaffSpec("zhaolei", "赵磊", Role.HANDLER, "SH-NJL", None),
    StaffSpec("yangfan", "杨帆", Role.HANDLER, "SZ-NS", None),
    StaffSpec("dengli", "邓丽", Role.HANDLER, "FS-ZM", None),
    StaffSpec("liuyang", "刘洋", Role.HANDLER, "EAST", None),
    StaffSpec("huangwei", "黄伟", Role.HANDLER, "SOUTH", None),
    StaffSpec("zhouqiang", "周强", Role.DEPARTMENT_HEAD, ROOT_CODE, "QA"),
    StaffSpec("xumin", "许敏", Role.DEPARTMENT_HEAD, ROOT_CODE, "PROD"),
    StaffSpec("wujun", "吴军", Role.DEPARTMENT_HEAD, ROOT_CODE, "LOG"),
    StaffSpec("luoming", "罗明", Role.DEPARTMENT_HEAD, ROOT_CODE, "TECH"),
    StaffSpec("fengjie", "冯杰", Role.DEPARTMENT_HEAD, ROOT_CODE, "MKT"),
    StaffSpec("hanxue", "韩雪", Role.HANDLER, ROOT_CODE, "PROD"),
    StaffSpec("songjie", "宋杰", Role.HANDLER, ROOT_CODE, "LOG"),
    StaffSpec("tianhao", "田浩", Role.HANDLER, ROOT_CODE, "TECH"),
    StaffSpec("caili", "蔡丽", Role.HANDLER, ROOT_CODE, "FIN"),
    StaffSpec("zhengtao", "郑涛", Role.QUALITY_ENGINEER, ROOT_CODE, "QA"),
    StaffSpec("sunhui", "孙慧", Role.COORDINATOR, ROOT_CODE, "CS"),
    StaffSpec("majing", "马静", Role.CS_SUPERVISOR, ROOT_CODE, "CS"),
    StaffSpec("hejianguo", "何建国", Role.EXECUTIVE, ROOT_CODE, None),
    StaffSpec("linxiaoyan", "林晓燕", Role.AUDITOR, ROOT_CODE, "FIN"),
    StaffSpec("qianfeng", "钱峰", Role.ADMIN, ROOT_CODE, None),
]

#: The e-commerce integration account: API intake only, it has no password. It belongs to no
#: department, so routing never gives it a case to work on.
INTEGRATION = StaffSpec("dianshang_api", "电商平台对接", Role.INTAKE_AGENT, ROOT_CODE, None)


def create_staff(password: str, actor: User | None) -> dict[str, User]:
    """The demo staff. They share one password, so it is hashed once (a PBKDF2 hash takes a
    third of a second: per user it was a tenth of ``kesu demo``) and stored for all of them."""
    users: dict[str, User] = {}
    for i, spec in enumerate([*STAFF, INTEGRATION]):
        is_login = spec is not INTEGRATION
        users[spec.username] = do_create_user(NewUser(
            username=spec.username, role=spec.role, org_unit_code=spec.unit,
            password=None, display_name=spec.display_name,
            email=f"{spec.username}@example.com" if is_login else "",
            phone=f"1380000{1001 + i:04d}" if is_login else "",
            department_code=spec.department,
        ), actor=actor)
    encoded = make_password(password)
    logins = [users[spec.username] for spec in STAFF]
    User.objects.filter(pk__in=[u.pk for u in logins]).update(password=encoded)
    for user in logins:
        user.password = encoded
    return users


# --- customers ------------------------------------------------------------------------------

# (汉字, pinyin), roughly by frequency.
SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"),
    ("袁", "yuan"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"), ("叶", "ye"),
    ("程", "cheng"), ("魏", "wei"), ("苏", "su"), ("吕", "lv"), ("丁", "ding"), ("沈", "shen"),
    ("姚", "yao"), ("卢", "lu"), ("钟", "zhong"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"),
    ("方", "fang"), ("金", "jin"), ("欧阳", "ouyang"), ("司马", "sima"),
]
SURNAME_WEIGHTS = [max(1.0, 20 - i * 0.35) for i in range(len(SURNAMES))]

GIVEN_FEMALE = [
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("秀英", "xiuying"), ("桂兰", "guilan"), ("玉兰", "yulan"),
    ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("慧", "hui"), ("燕", "yan"), ("佳怡", "jiayi"),
    ("雨涵", "yuhan"), ("欣怡", "xinyi"), ("晓红", "xiaohong"), ("美玲", "meiling"), ("思琪", "siqi"),
    ("丹", "dan"), ("萍", "ping"), ("红梅", "hongmei"), ("凤英", "fengying"), ("倩", "qian"),
    ("梦瑶", "mengyao"), ("晓燕", "xiaoyan"), ("文静", "wenjing"), ("一诺", "yinuo"), ("可欣", "kexin"),
]
GIVEN_MALE = [
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("建国", "jianguo"), ("志强", "zhiqiang"),
    ("海波", "haibo"), ("建华", "jianhua"), ("浩然", "haoran"), ("子轩", "zixuan"), ("宇航", "yuhang"),
    ("俊杰", "junjie"), ("国庆", "guoqing"), ("德明", "deming"), ("文博", "wenbo"), ("鹏", "peng"),
    ("斌", "bin"), ("辉", "hui"), ("刚", "gang"), ("晨", "chen"), ("一鸣", "yiming"), ("振华", "zhenhua"),
    ("立新", "lixin"), ("天佑", "tianyou"),
]

ROADS = {
    "上海市": {
        "黄浦区": ["南京东路", "福州路", "西藏中路", "淮海中路", "复兴中路"],
        "徐汇区": ["漕溪北路", "天钥桥路", "宜山路", "凯旋路", "田林路"],
        "浦东新区": ["张杨路", "世纪大道", "东方路", "锦绣路", "浦东南路"],
        "闵行区": ["七莘路", "莘松路", "都市路", "沪闵路"],
        "静安区": ["共和新路", "万航渡路", "延长中路", "愚园路"],
    },
    "杭州市": {
        "西湖区": ["文三路", "教工路", "古墩路", "天目山路", "文二西路"],
        "拱墅区": ["莫干山路", "湖墅南路", "上塘路"],
        "滨江区": ["江南大道", "长河路", "滨盛路"],
    },
    "广州市": {
        "天河区": ["天河北路", "体育西路", "中山大道西", "黄埔大道西", "天河路"],
        "越秀区": ["东风中路", "北京路", "中山五路"],
        "海珠区": ["江南大道中", "新港中路", "宝岗大道"],
    },
    "深圳市": {
        "南山区": ["南海大道", "科技南路", "后海大道", "桃园路", "前海路"],
        "福田区": ["深南中路", "福华三路", "彩田路"],
        "宝安区": ["宝安大道", "新安六路", "创业一路"],
    },
    "佛山市": {
        "禅城区": ["祖庙路", "岭南大道北", "汾江中路", "季华五路"],
        "南海区": ["桂城南海大道", "南桂东路", "佛平路"],
    },
}
COMMUNITIES = [
    "阳光花园", "锦绣苑", "翠湖名邸", "金色家园", "和平新村", "康乐小区", "东湖景苑", "御景华庭",
    "丽都花园", "滨江一号", "春晓苑", "梧桐雅居", "紫薇公寓", "新城华府", "碧桂园", "枫林湾",
]
ORG_WORDS = [
    "宏达", "鑫源", "恒丰", "佳和", "瑞祥", "永盛", "通泰", "广益", "华联", "金穗", "盛世", "百汇",
    "嘉禾", "润泽", "兴隆", "祥和", "顺昌", "利民", "富源", "万家福",
]


@dataclass(frozen=True)
class CustomerSpec:
    """A demo customer; ``input`` is what an intake form would carry on the first case."""

    key: int
    type: str
    level: str
    name: str
    phone: str
    email: str
    address: str
    organisation: str
    city: str
    unit: str  # the org unit the customer mostly deals with

    def as_input(self, rng: random.Random, *, with_email: bool, with_address: bool) -> CustomerInput:
        return CustomerInput(
            name=self.name, phone=_spell_phone(rng, self.phone) if self.phone else "",
            email=self.email if with_email else "", address=self.address if with_address else "",
            organisation=self.organisation, level=self.level, type=self.type,
        )


def _spell_phone(rng: random.Random, phone: str) -> str:
    """People type the same number differently; the customer is still found by its digits."""
    r = rng.random()
    if r < 0.08:
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    if r < 0.12:
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    if r < 0.14:
        return f"+86 {phone}"
    return phone


class CustomerFactory:
    """Makes unique, plausible customers from a seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.count = 0

    def _phone(self) -> str:
        while True:
            phone = "13" + self.rng.choice("89") + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _person(self) -> tuple[str, str, str, str]:
        """(full name, pinyin for e-mail, polite form such as 王女士, surname)."""
        rng = self.rng
        (sur, sur_py), = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)
        female = rng.random() < 0.55
        given, given_py = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
        polite = sur + ("女士" if female else "先生")
        return sur + given, sur_py + given_py, polite, sur

    def email(self, local: str) -> str:
        domain = self.rng.choice(["example.com", "example.net", "example.org"])
        candidate = f"{local}@{domain}"
        n = 1
        while candidate in self.emails:
            n += 1
            candidate = f"{local}{self.rng.randrange(10, 99)}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def _address(self, city: str, district: str | None = None) -> str:
        rng = self.rng
        districts = ROADS[city]
        district = district if district in districts else rng.choice(list(districts))
        road = rng.choice(districts[district])
        if rng.random() < 0.5:
            return (f"{city}{district}{road}{rng.randint(1, 1800)}号{rng.choice(COMMUNITIES)}"
                    f"{rng.randint(1, 28)}栋{rng.randint(1, 32)}0{rng.randint(1, 6)}室")
        lane, number = rng.randint(1, 999), rng.randint(1, 60)
        room = rng.randint(1, 6) * 100 + rng.randint(1, 4)
        return f"{city}{district}{road}{lane}弄{number}号{room}室"

    def _business_address(self, city: str) -> str:
        rng = self.rng
        district = rng.choice(list(ROADS[city]))
        road = rng.choice(ROADS[city][district])
        building = rng.choice(["", f"{rng.choice(ORG_WORDS)}大厦{rng.randint(2, 23)}楼", "仓库", "一楼商铺"])
        return f"{city}{district}{road}{rng.randint(1, 1200)}号{building}"

    def make(self, ctype: str, unit: str) -> CustomerSpec:
        rng = self.rng
        self.count += 1
        spec = UNITS.get(unit)
        store = next((s for s in STORES if s.code == unit), None)
        city = spec.city if spec else rng.choice(list(ROADS))
        name, py, polite, sur = self._person()
        org = ""
        level = CustomerLevel.VIP if rng.random() < 0.1 else CustomerLevel.NORMAL
        email = ""
        cshort = city.removesuffix("市")
        if ctype == CustomerType.CONSUMER:
            if rng.random() < 0.18:
                name = polite  # on the phone many give only 王女士 / 李先生
            email = self.email(py) if rng.random() < 0.3 else ""
        else:
            word = rng.choice(ORG_WORDS)
            district = rng.choice(list(ROADS[city]))
            if ctype == CustomerType.DISTRIBUTOR:
                org = f"{cshort}{word}{rng.choice(['食品贸易', '商贸', '副食品批发'])}有限公司"
                name = rng.choice([name, f"{sur}经理", f"{sur}总"])
            elif ctype == CustomerType.SUPERMARKET:
                kind = rng.choice(["超市", "生活超市", "购物广场"])
                org = f"{word}{kind}（{district.removesuffix('区')}店）"
                name = rng.choice([f"{sur}店长", f"{name}（采购）", name])
            elif ctype == CustomerType.RETAILER:
                org = f"{word}{rng.choice(['食杂店', '烟酒茶行', '母婴用品店', '便利店'])}"
                name = rng.choice([f"{sur}老板", name])
            elif ctype == CustomerType.BUYER:
                org = f"{cshort}{word}{rng.choice(['科技', '物业服务', '建设工程', '信息技术'])}有限公司"
                name = rng.choice([f"{name}（行政部）", f"{sur}主任", f"{name}（工会）"])
            elif ctype == CustomerType.REGULATOR:
                org = f"{city}{district}市场监督管理局"
                name = rng.choice([f"{sur}科长", f"{name}（食品安全科）"])
            elif ctype == CustomerType.MEDIA:
                org = rng.choice(["晨讯都市报", "《民生直通车》栏目组", "城事观察（自媒体）",
                                  "今日消费新闻客户端"])
                name = rng.choice([f"{name}（记者）", f"{sur}记者"])
            elif ctype == CustomerType.INTERNAL:
                org = f"{COMPANY}{rng.choice(['生产部', '仓储中心', '物流部', '市场部', '质量部'])}"
            if ctype in {CustomerType.DISTRIBUTOR, CustomerType.SUPERMARKET, CustomerType.BUYER}:
                level = CustomerLevel.VIP if rng.random() < 0.4 else CustomerLevel.NORMAL
            elif ctype in {CustomerType.REGULATOR, CustomerType.MEDIA, CustomerType.INTERNAL}:
                level = CustomerLevel.NORMAL
            email = self.email(py) if rng.random() < 0.6 else ""
        address = ""
        if ctype == CustomerType.CONSUMER and rng.random() < 0.75:
            address = self._address(city, store.district if store and rng.random() < 0.6 else None)
        elif ctype not in {CustomerType.CONSUMER, CustomerType.MEDIA, CustomerType.INTERNAL}:
            address = self._business_address(city)
        return CustomerSpec(
            key=self.count, type=ctype, level=level, name=name, phone=self._phone(), email=email,
            address=address, organisation=org, city=city, unit=unit,
        )
