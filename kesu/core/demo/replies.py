"""What staff write along a demo case's life: replies to the customer, internal notes, call
records and the reasons given for steps of the workflow.

Demo content, not UI text: it is stored in the cases as data (in Chinese, as a Chinese
complaint desk writes it), so it is not translated. The wording follows the house tone:
the customer is addressed as 您, no exclamation marks. Slots ({short}, {batch}, {courier},
{amount} …) are filled from the case's own plan, so a reply names the product and batch the
customer wrote about.
"""

from __future__ import annotations

import random

from kesu.cases.choices import Demand

# --- replies to the customer (customer-visible) -------------------------------------------

#: The substance of the answer, by what the company does about the complaint.
REMEDY = {
    "refund": (
        "经核实，您反映的情况属实。我们已为您办理退款{amount}元，款项将在1至3个工作日内原路退回，请您留意。",
        "我们已确认您的退款申请，{amount}元退款已提交财务处理，预计3个工作日内到账。",
    ),
    "replacement": (
        "经质量部核查，您购买的{short}存在质量问题。我们将为您免费更换同款新品，已安排顺丰寄出，请您注意查收。",
        "我们已为您安排换货，新品将由门店同事送到您府上，旧品请交给送货同事带回检测。",
    ),
    "compensation": (
        "对于给您带来的困扰，除全额退款外，我们按规定另行给予您{amount}元补偿，款项已提交财务办理。",
        "经公司研究，我们为您办理退货退款，并赠送价值{amount}元的礼品卡表示歉意。",
    ),
    "visit": (
        "我们的质量人员已于今日上门查看并取回剩余产品送检，检测结果出来后将第一时间告知您。",
    ),
    "explain_quality": (
        "经调取该批次（{batch_or_none}）的留样及出厂检验记录，各项指标均合格。您描述的现象是天然成分析出所致，不影响食用，请您放心。",
        "经检测，该批次产品符合国家标准。您看到的情况与储存温度有关，建议开封后冷藏并尽快食用。",
    ),
    "explain_delivery": (
        "已与{courier}核实，包裹因中转站爆仓延误，现已加急派送，预计明天送达。",
        "经与{courier}核实，派件员未按约定送货上门，快递公司已对其进行处理，并已重新安排派送。",
    ),
    "store_service": (
        "我们已调取门店监控并与当班员工核实，确有服务不到位的情况，已对相关员工进行批评教育，并在门店内加强服务培训。",
        "门店已就此事召开晨会整改，值班店长将亲自跟进，今后会注意高峰时段的人员安排。",
    ),
    "price": (
        "经核实，活动规则在页面上的说明确实不够清楚，我们已按您下单时的活动价为您补退差价{amount}元。",
        "我们的定价包含原料与冷链成本，但您提出的意见我们已转市场部，后续会推出更多优惠活动。",
    ),
    "after_sales": (
        "已为您加急处理，相关退款与发票问题已由财务部专人跟进，今天内会有同事与您联系确认。",
        "您的售后申请已重新受理，处理进度我们会通过短信及时告知您。",
    ),
    "general": (
        "您反映的问题我们已认真核查，并已安排相关部门整改。",
    ),
}
APOLOGY = (
    "给您带来不便，我们深表歉意。",
    "对此给您造成的困扰，我们诚恳地向您道歉。",
    "再次向您致歉，感谢您对我们工作的监督。",
)
OPENING = ("您好，", "{name}您好，", "尊敬的顾客您好，")
CLOSING = ("如您还有其他问题，欢迎随时联系我们。", "如有疑问，请拨打客服热线400-820-1234。", "")

ANSWERS = {
    "ask_storage": "{short}未开封时请放在阴凉干燥处，开封后请冷藏保存并尽快食用。",
    "ask_ingredients": "{short}的配料表及过敏原信息印在包装背面，如需检测报告，我们可以通过邮件发送给您。",
    "ask_store": "离您最近的门店营业时间为每天10:00至22:00，节假日照常营业。",
    "ask_order": "已为您查询，您的订单已经发货，物流单号已通过短信发送给您。",
    "ask_invoice": "电子发票将在订单完成后3个工作日内发送至您预留的邮箱，如需纸质发票请告知收件地址。",
    "ask_member": "会员积分每消费1元累计1分，积分可在小程序中兑换礼品，有效期两年。",
    "ask_jewellery": "足金饰品按当日金价加工费计价，门店可免费清洗和检测。",
    "ask_wholesale": "团购与批发事宜已转交大客户经理，他会在一个工作日内与您联系报价。",
    "ask_after_sales": "茶具与保温杯自购买之日起一年内非人为损坏可免费换新，请携带小票到任一门店办理。",
}
PRAISE_REPLY = (
    "非常感谢您的肯定和鼓励，我们已将您的表扬转达给相关同事，并在内部进行了通报表扬。",
    "感谢您抽空给我们留言，您的认可是我们最大的动力，我们会继续努力。",
)
SUGGESTION_REPLY = (
    "感谢您的宝贵建议。相关部门已进行评估，并将其纳入下一季度的改进计划。",
    "您的建议很有价值，我们已转交产品部门研究，改进后会在公众号上发布。",
)
REJECT_REPLY = (
    "由于您反映的内容缺少具体的购买信息，经多次联系也未能补充批号或照片，我们暂时无法核实。"
    "如您能提供购物小票、批号或照片，欢迎随时再次联系我们，我们会重新为您处理。",
    "经核查门店销售记录及监控，未能发现与您描述相符的情况，本次反馈暂按不成立处理。"
    "如您有新的情况或凭证，欢迎随时联系我们。",
)


def _slots(base: dict[str, str]) -> dict[str, str]:
    slots = dict(base)
    slots["batch_or_none"] = f"批号{base['batch']}" if base.get("batch") else "同批次"
    return slots


def remedy_for(rng: random.Random, topic: str, category: str, demands: tuple[str, ...]) -> str:
    """Which kind of remedy a complaint gets, from its topic, category and the customer's demands."""
    if category == "service_attitude" or topic in {"queue_long", "store_environment"}:
        return "store_service"
    if category == "delivery":
        return "explain_delivery" if rng.random() < 0.6 else "refund"
    if category == "price":
        return "price"
    if category == "after_sales":
        return "after_sales"
    if Demand.COMPENSATION in demands and rng.random() < 0.6:
        return "compensation"
    if Demand.ON_SITE in demands:
        return "visit"
    if Demand.REFUND in demands or Demand.RETURN in demands:
        return "refund"
    if Demand.EXCHANGE in demands or Demand.REPLENISH in demands or Demand.REPAIR in demands:
        return "replacement"
    if topic in {"sour_taste", "taste_preference", "tea_quality"} and rng.random() < 0.6:
        return "explain_quality"
    if category in {"product_quality", "packaging"}:
        return rng.choice(["replacement", "refund", "explain_quality"])
    return "general"


def reply_text(rng: random.Random, remedy: str, slots: dict[str, str]) -> str:
    """A customer-visible reply: greeting, the remedy, an apology where one is due, a closing."""
    body = rng.choice(REMEDY[remedy])
    apology = "" if remedy.startswith("explain") and rng.random() < 0.5 else rng.choice(APOLOGY)
    text = rng.choice(OPENING) + body + apology + rng.choice(CLOSING)
    return text.format_map(_slots(slots))


def answer_text(rng: random.Random, topic: str, kind: str, slots: dict[str, str]) -> str:
    if kind == "praise":
        body = rng.choice(PRAISE_REPLY)
    elif kind == "suggestion":
        body = rng.choice(SUGGESTION_REPLY)
    else:
        body = "感谢您的咨询。" + ANSWERS.get(topic, "您咨询的问题我们已为您查询清楚，详情已短信发送给您。")
    return (rng.choice(OPENING) + body + rng.choice(CLOSING)).format_map(_slots(slots))


def reject_text(rng: random.Random, slots: dict[str, str]) -> str:
    return (rng.choice(OPENING) + rng.choice(REJECT_REPLY)).format_map(_slots(slots))


# --- internal notes, calls and reasons ------------------------------------------------------

NOTES = {
    "product_quality": (
        "已调取批次{batch_or_none}的留样及出厂检验记录，安排复检。",
        "已通知生产部排查同批次产品，目前未发现同类反馈。",
        "已联系门店将同批次产品下架待检。",
        "复检结果：微生物指标合格，感官异常与运输途中温度偏高有关。",
    ),
    "packaging": (
        "已联系包材供应商核查封口工艺，要求提供整改报告。",
        "仓库抽查同批次包装20箱，发现2箱外箱破损，已隔离。",
    ),
    "delivery": (
        "已联系{courier}调取物流轨迹，中转站有两天滞留记录。",
        "已要求仓库核对出库单与装箱照片。",
    ),
    "service_attitude": (
        "已调取门店监控并约谈当班员工，员工承认态度欠佳。",
        "店长已对当班员工进行批评教育，本周内组织服务礼仪培训。",
    ),
    "price": ("已与市场部确认活动规则及页面截图。",),
    "after_sales": ("已与财务部核对退款流水，退款因账户信息有误被退回。",),
    "other": ("已与顾客电话沟通，顾客情绪平稳，同意等待处理结果。",),
}
ACCEPT_CALLS = (
    "已致电顾客确认情况并致歉，承诺{days}个工作日内给予答复。",
    "与顾客通话约5分钟，已记录诉求，告知将由专人跟进，{days}个工作日内答复。",
)
ASK_INFO_CALLS = (
    "已致电顾客，请其提供产品批号及问题部位的照片。",
    "已通过短信请顾客补充购物小票和批号照片。",
)
INFO_RECEIVED = (
    "顾客已通过微信发来批号及照片，照片清晰可见问题部位。",
    "顾客来电补充：批号已提供，并表示剩余产品已冷藏保存。",
)
CALLBACK_SATISFIED = (
    "回访：客户表示满意，对处理结果无异议。",
    "回访：客户表示满意，已收到退款，感谢及时处理。",
    "回访：客户表示满意，换货已收到。",
)
CALLBACK_UNSATISFIED = (
    "回访：客户表示仍不满意，认为补偿不足，要求进一步处理。",
    "回访：客户表示仍不满意，问题再次出现，要求重新处理。",
)
CALLBACK_QUICK = ("回访：客户确认问题已解决。",)
REASONS = {
    "awaiting_info": ("请顾客提供批号/照片", "请顾客提供批号/照片及购物小票"),
    "info_back": ("顾客已补充批号和照片", "顾客已提供所需信息"),
    "no_info": ("顾客未在约定期限内补充信息，无法核实",),
    "reject": ("投诉不成立：内容笼统且无法核实", "投诉不成立：经核查与事实不符"),
    "escalate": ("涉及人身健康，按规定升级处理", "媒体/监管部门关注，需高层决策",
                 "顾客情绪激烈，涉及赔偿金额超出权限"),
    "escalation_back": ("高层已批示：由质量部牵头，24小时内给出处理方案",
                        "已批示：按公司标准赔偿，尽快答复顾客"),
    "send_back": ("方案补偿标准不足，请补充", "请补充原因分析后再提交"),
    "reopen": ("回访时顾客表示仍不满意", "顾客再次来电，问题未解决"),
    "close_no_callback": ("咨询已当场答复，无需回访", "表扬类反馈，已致谢，无需回访",
                          "顾客多次未接电话，无法回访"),
    "manual": ("门店服务问题，由门店负责人处理", "大区负责跟进本区门店反馈"),
    "reassign_fin": ("涉及退款/开票，转财务部处理",),
    "reassign_prod": ("经质量部初查为生产环节问题，转生产部整改",),
    "reclassified": ("重新分类后转对应部门处理",),
}


def pick(rng: random.Random, options: tuple[str, ...], slots: dict[str, str] | None = None) -> str:
    text = rng.choice(options)
    return text.format_map(_slots(slots)) if slots is not None else text
