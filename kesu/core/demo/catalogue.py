"""The demo company's products: dairy, tea, drinks, bakery, festival gifts, tea ware, gold.

``shelf_days`` decides how batch codes are drawn (production date + line letter, e.g.
20260315A); items without a shelf life carry a serial number instead. ``season`` names the
festival around which a seasonal product is sold (see ``timeline.in_season``).
"""

from __future__ import annotations

from dataclasses import dataclass

FOOD_GROUPS = frozenset({"dairy", "drink", "tea", "bakery", "gift", "snack", "frozen"})


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    short: str
    model: str
    group: str
    unit: str
    price: int
    shelf_days: int | None
    weight: float = 1.0
    season: str = ""  # "", "spring", "dragon_boat", "mid_autumn"
    serial_prefix: str = ""

    @property
    def has_batch(self) -> bool:
        return self.shelf_days is not None


PRODUCTS = [
    Product("MILK-12", "禾悦纯牛奶", "纯牛奶", "250ml×12盒 整箱", "dairy", "箱", 59, 180, 3.0),
    Product("MILK-FRESH", "禾悦鲜牛奶", "鲜牛奶", "950ml 巴氏杀菌", "dairy", "瓶", 20, 7, 2.0),
    Product("YOG-6", "禾悦原味酸奶", "酸奶", "200g×6杯", "dairy", "组", 26, 21, 2.5),
    Product("MILK-LF", "禾悦低脂高钙奶", "高钙奶", "1L 利乐装", "dairy", "盒", 16, 120, 1.2),
    Product("MP-3", "禾悦儿童成长奶粉", "奶粉", "800g 罐装 3段", "dairy", "罐", 268, 540, 0.8),
    Product("TEA-LJ", "西湖龙井 明前特级", "龙井", "250g 礼罐", "tea", "罐", 688, 540, 1.5),
    Product("TEA-TGY", "安溪铁观音 清香型", "铁观音", "250g（8g×31泡）", "tea", "袋", 168, 540, 1.2),
    Product("TEA-BLC", "洞庭碧螺春 一级", "碧螺春", "100g 盒装", "tea", "盒", 198, 360, 0.8),
    Product("TEA-PE", "云南普洱熟茶饼", "普洱", "357g 饼", "tea", "饼", 238, 3650, 0.7),
    Product("TEA-JAS", "禾悦茉莉花茶 袋泡茶", "茉莉花茶", "2g×25包", "tea", "盒", 29, 540, 1.0),
    Product("DRK-CB", "禾悦原叶冷泡茶", "冷泡茶", "500ml×15瓶 整箱", "drink", "箱", 75, 270, 1.2),
    Product("BRD-WW", "禾悦全麦吐司", "吐司", "400g", "bakery", "袋", 15, 5, 1.5),
    Product("BRD-LVD", "苏式绿豆糕礼盒", "绿豆糕", "12枚 360g", "bakery", "盒", 58, 45, 0.8),
    Product("MC-6", "广式双黄白莲蓉月饼礼盒", "月饼", "6枚 750g", "gift", "盒", 298, 60, 2.5, "mid_autumn"),
    Product("ZZ-10", "嘉兴鲜肉粽礼盒", "粽子", "10只装 1.4kg", "gift", "盒", 128, 180, 2.0, "dragon_boat"),
    Product("NUT-30", "禾悦每日坚果礼盒", "坚果礼盒", "25g×30袋", "gift", "盒", 139, 270, 1.5),
    Product("BEEF-200", "五香牛肉干", "牛肉干", "200g", "snack", "袋", 49, 270, 1.0),
    Product("TY-500", "黑芝麻汤圆", "汤圆", "500g（约20只）", "frozen", "袋", 18, 270, 1.5, "spring"),
    Product("CUP-500", "316不锈钢保温杯", "保温杯", "HY-BW500 500ml", "teaware", "个", 129, None, 1.2,
            serial_prefix="BW"),
    Product("SET-4", "陶瓷功夫茶具套装", "茶具", "HY-CJ04 一壶四杯", "teaware", "套", 299, None, 0.8,
            serial_prefix="CJ"),
    Product("GLS-380", "双层玻璃泡茶杯", "玻璃杯", "HY-BL380 380ml", "teaware", "个", 59, None, 0.8,
            serial_prefix="BL"),
    Product("AU-ZYZ", "足金转运珠手链", "金手链", "约2.1g 17cm", "jewellery", "条", 2180, None, 0.7,
            serial_prefix="AUS"),
    Product("AU-SX", "足金生肖吊坠", "生肖吊坠", "约3.5g", "jewellery", "个", 3560, None, 0.6,
            serial_prefix="AUP"),
    Product("K18-45", "18K金锁骨链", "锁骨链", "45cm 约1.2g", "jewellery", "条", 1390, None, 0.5,
            serial_prefix="K18"),
    Product("CARD-500", "禾悦礼品卡", "礼品卡", "面值500元", "card", "张", 500, None, 0.8,
            serial_prefix="GC"),
]

BY_CODE = {p.code: p for p in PRODUCTS}

PLATFORMS = [
    ("天猫旗舰店", "TM", 0.34), ("京东旗舰店", "JD", 0.26), ("小程序商城", "WX", 0.2),
    ("抖音直播间", "DY", 0.12), ("拼多多店铺", "PDD", 0.08),
]

COURIERS = ["顺丰", "中通", "圆通", "韵达", "申通", "京东物流", "极兔"]
