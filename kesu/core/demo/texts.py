"""Building blocks of the demo's customer texts: topics (what the case is about) and the
openers, purchase contexts, details, threats, demands and closers around them.

A text is assembled from a topic's problem sentence plus pieces chosen by channel and by
who is speaking (a consumer, a trade customer, an authority, a journalist, a colleague),
with slots ({short}, {store}, {days}, {batch} …) filled from the case, so two thousand
cases read like two thousand people.

A problem line may start with ``@tea,gift:`` (it only fits those product groups) and then
``[title]`` (the title staff would give that particular problem; the topic's own titles
are neutral ones that fit every line). The classification that goes with a topic
(category, severity, priority) follows SPEC TR-2 and TR-4: 异物/发霉 major, 拉肚子/住院/
受伤 serious, 太贵 general, 挺好/不错 vague.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kesu.cases.choices import Demand, Emotion, Kind, Priority, Severity, Validity
from kesu.customers.choices import CustomerType as CT

C, ASK, S, P = Kind.COMPLAINT, Kind.INQUIRY, Kind.SUGGESTION, Kind.PRAISE
FOOD = ("dairy", "drink", "tea", "bakery", "gift", "snack", "frozen")
ANY_PRODUCT = (*FOOD, "teaware", "jewellery")
BUSINESS = (CT.DISTRIBUTOR, CT.SUPERMARKET, CT.RETAILER, CT.BUYER)


@dataclass(frozen=True)
class Line:
    text: str
    title: str = ""


@dataclass(frozen=True)
class Topic:
    code: str
    kind: str
    category: str
    severity: str
    priority: str
    weight: float
    titles: tuple[str, ...]
    problems: tuple[str, ...]
    groups: tuple[str, ...] = ()          # product groups; empty: no product
    product_optional: bool = False        # a service case may name what was being bought
    where: str = "any"                    # "store", "online" or "any"
    ctypes: tuple[str, ...] = (CT.CONSUMER,)
    details: tuple[str, ...] = ()
    demands: tuple[tuple[str, ...], ...] = ((),)
    emotions: tuple[str, ...] = (Emotion.DISSATISFIED,)
    validity: str = Validity.SPECIFIC
    context: bool = True                  # prefix a purchase context ("上周在…买的…")
    seasons: dict[str, float] = field(default_factory=dict)
    quantity: tuple[int, int] = (1, 3)
    hazard: bool = False                  # risk of harm: threats and health words fit
    channels: tuple[str, ...] = ()        # restricts the channel when set

    def problem_lines(self, group: str | None, has_batch: bool) -> list[Line]:
        """The problem lines that fit a product of ``group``; lines needing a batch need one."""
        out = []
        for raw in self.problems:
            text, groups, title = raw, None, ""
            if text.startswith("@"):
                head, text = text[1:].split(":", 1)
                groups = head.split(",")
            if text.startswith("["):
                title, text = text[1:].split("]", 1)
            if groups is not None and group not in groups:
                continue
            if "{batch}" in text and not has_batch:
                continue
            out.append(Line(text, title))
        return out


A, D, E, R = Emotion.ANGRY, Emotion.DISSATISFIED, Emotion.ANXIOUS, Emotion.CONFUSED
CALM, PLEASED = Emotion.CALM, Emotion.PLEASED
MAJ, MIN, GEN, SER, SPE = Severity.MAJOR, Severity.MINOR, Severity.GENERAL, Severity.SERIOUS, Severity.SPECIAL
URG, IMP, PGEN = Priority.URGENT, Priority.IMPORTANT, Priority.GENERAL
REFUND, RETURN, EXCH, REPL = Demand.REFUND, Demand.RETURN, Demand.EXCHANGE, Demand.REPLENISH
COMP, SORRY, SITE = Demand.COMPENSATION, Demand.APOLOGY, Demand.ON_SITE
REPAIR, OTHER = Demand.REPAIR, Demand.OTHER

TOPICS: list[Topic] = [
    # --- product quality: food ------------------------------------------------------------
    Topic("foreign_matter", C, "product_quality", MAJ, IMP, 7,
          ("{short}里有异物", "{short}吃出异物", "{short}中发现{foreign_short}", "投诉：{short}有异物",
           "{short}内有{foreign_short}"),
          ("吃到一半发现里面有{foreign}，恶心死了。", "打开以后发现里面有{foreign}。",
           "吃的时候咬到{foreign}，差点咽下去。", "倒出来的时候看见里面有{foreign}。",
           "{short}里面夹着{foreign}，你们的生产环境也太差了吧。", "刚拆开就看到{foreign}粘在{short}上。",
           "吃了两口发现嘴里有{foreign}。", "@dairy,drink:孩子喝的时候从吸管里吸出来{foreign}。",
           "@dairy,drink:喝完倒过来一看，盒底沉着{foreign}。", "@tea:泡茶的时候茶汤里浮着{foreign}。",
           "@gift:切开月饼，馅里面有{foreign}。", "@frozen:煮好的汤圆咬开，里面有{foreign}。"),
          FOOD, details=("我拍了照，东西也还留着。", "你们的质检是怎么做的？",
                          "家里还有一{unit}同一批的，不敢吃了。",
                         "我老公说肯定是生产线上掉进去的。", "幸好是我先吃到的，要是孩子吃到怎么办。"),
          demands=((REFUND,), (REFUND, COMP), (EXCH,), (COMP, SORRY), (REFUND, SORRY)),
          emotions=(A, A, D, E), hazard=True),
    Topic("mould", C, "product_quality", MAJ, IMP, 6,
          ("{short}发霉", "{short}长毛了", "刚买的{short}发霉", "{short}有霉点", "{short}霉变"),
          ("打开一看，{short}表面长了一层白毛。", "{short}中间有好几块绿色的霉点。",
           "还在保质期内就发霉了，生产日期才{days}天。", "包装没拆过，隔着袋子都能看到霉斑。",
           "闻着有一股霉味，仔细看里面已经长毛了。",
            "@tea:[{short}受潮发霉]茶叶受潮结块，有一股霉味，根本没法喝。",
           "@tea:罐子一打开就是一股霉味，茶叶上有白点。", "@gift:礼盒里有两个月饼的底部发绿了。",
           "@bakery:吐司袋子里面全是水汽，边上都长了黑点。", "@snack:牛肉干上面有白色的霉点。"),
          ("bakery", "gift", "tea", "snack"),
          details=("我是放在阴凉处保存的，没有受潮。", "保质期还有好久呢。", "幸亏孩子没吃。",
                   "这要是吃下去了怎么办？", "是送给客户的，太丢人了。"),
          demands=((REFUND,), (REFUND, COMP), (EXCH,), (RETURN,), (REFUND, SORRY)),
          emotions=(A, D, D), hazard=True, seasons={"summer": 1.5, "spring": 1.2}),
    Topic("spoiled_dairy", C, "product_quality", MAJ, IMP, 6,
          ("{short}变质", "{short}疑似变质", "投诉：{short}坏了"),
          ("[{short}胀包]整{unit}{short}里有{n}盒都胀包了，鼓得很厉害。",
           "[{short}有酸臭味]打开以后一股酸臭味，里面还有结块。",
            "[{short}结块]倒出来是一块一块的，像豆腐渣一样。",
           "@dairy:[{short}胀杯]酸奶杯的封膜是鼓起来的，打开有气泡和酒味。", "喝了一口就觉得不对，发酸发苦。",
           "还没过保质期就坏了，是不是运输的时候没冷藏？",
            "[{short}胀包]盒子摸上去硬邦邦的，一捏就滋出来，有股馊味。"),
          ("dairy", "drink"),
          details=("我是一直放冰箱的。", "买回来当天就喝的。", "同一箱的其他几盒看着也有点鼓。",
                   "孩子已经喝了小半盒，现在很担心。", "我把盒子留着了，上面批号清清楚楚。"),
          demands=((REFUND,), (REFUND, SORRY), (EXCH,), (REFUND, COMP)),
          emotions=(A, D, E), hazard=True, seasons={"summer": 2.0}),
    Topic("sour_taste", C, "product_quality", MIN, PGEN, 6,
          ("{short}味道不对", "{short}口感和以前不一样", "{short}口感差"),
          ("[{short}口感偏酸]这次买的{short}口感偏酸，和以前喝的不一样。",
            "[{short}有异味]味道怪怪的，有一股说不出的异味。",
           "@tea:[{short}有陈味]泡出来的茶汤发暗，喝着有一股陈味，不像新茶。",
           "@tea:[{short}香气不足]香气很淡，泡两泡就没味了，和宣传的不符。", "感觉配方变了，吃着有点发苦。",
           "@snack:[{short}太硬太咸]牛肉干硬得咬不动，而且特别咸。",
            "@bakery:[{short}不新鲜]吐司干巴巴的，一点都不松软，像放了好几天的。",
           "@gift:[{short}有油哈喇味]月饼皮很硬，馅料有一股油哈喇味。",
            "@dairy:[{short}有焦糊味]奶有一股焦糊味，跟平时的不一样。",
           "@drink:[{short}有塑料味]冷泡茶喝着有股塑料味。"),
          ("dairy", "drink", "tea", "bakery", "gift", "snack"),
          details=("不知道是不是这一批的问题。", "以前一直买，这次很失望。", "我家人喝了也说不对。"),
          demands=((EXCH,), (REFUND,), (OTHER,)), emotions=(D, R, CALM)),
    Topic("taste_preference", C, "product_quality", GEN, PGEN, 3,
          ("{short}口味问题", "{short}口味意见"),
          ("[{short}太甜]{short}太甜了，老人根本不能吃。", "[{short}口味偏咸]口味太咸了，吃两块就得喝水。",
           "@dairy:[{short}奶味太淡]奶味太淡了，喝着像兑了水。",
            "@gift:[{short}太甜太腻]月饼太甜太腻，一块都吃不完。",
           "[{short}甜度太高]甜度比以前高了很多，能不能出个少糖的。"),
          ("dairy", "gift", "snack", "bakery", "drink"),
          demands=((OTHER,), ()), emotions=(D, CALM)),
    Topic("short_weight", C, "product_quality", MIN, IMP, 4,
          ("{short}分量不足", "{short}缺斤少两"),
          ("[{short}净含量不足]回家用厨房秤称了一下，标的{spec}，实际少了{grams}克。",
           "[{short}数量不对]礼盒里少了{n}袋，明明写的是{spec}。", "打开一看，里面一半都是空气，东西没多少。",
           "@gift,snack,frozen:[{short}数量不对]说好的{spec}，数了一下少了{n}个。",
            "袋子看着鼓鼓的，倒出来没几块。",
           "@tea:[{short}净含量不足]标的{spec}，称了连罐子都不够。"),
          ("tea", "snack", "gift", "bakery", "frozen"),
          details=("称的视频我拍下来了。", "我称了三遍，不会错。", "去皮以后称的。"),
          demands=((REPL,), (REFUND,), (REPL, SORRY), (COMP,)), emotions=(D, A)),
    Topic("leak", C, "packaging", MIN, PGEN, 3,
          ("{short}包装漏了", "{short}包装问题"),
          ("[{short}漏液]收到的时候箱子底下是湿的，有{n}盒{short}漏了。",
            "[{short}封口不严]封口没封好，一拿起来就往外滴。",
           "@snack,frozen:[{short}漏气瘪袋]袋子是瘪的，明显漏气了。",
            "@dairy,drink:[{short}漏液]吸管插口那里裂了，漏得到处都是。",
           "@drink:[{short}瓶盖不严]瓶盖没拧紧，倒着放的时候漏了一半。"),
          ("dairy", "drink", "frozen", "snack"),
          demands=((EXCH,), (REPL,), (REFUND,)), emotions=(D,)),
    Topic("expired", C, "product_quality", MAJ, IMP, 3,
          ("买到过期{short}", "门店销售过期食品", "{short}已过保质期"),
          ("回家一看{short}已经过期{days}天了。",
            "货架上还在卖过期的{short}，我拿了一盒一看日期已经过了。",
           "[{short}生产日期有问题]生产日期是贴上去的，和盒子上印的不一样。",
            "小票是今天的，保质期却是昨天到期。",
           "保质期那里被价签挡住了，撕开一看早就过期了。"),
          ("dairy", "bakery", "drink", "snack"), where="store",
          details=("这是食品安全问题，你们要重视。", "幸好还没给孩子喝。", "我拍了货架的照片。"),
          demands=((REFUND, COMP), (COMP,), (REFUND, SORRY)), emotions=(A, D), hazard=True),
    Topic("illness", C, "product_quality", SER, URG, 1.5,
          ("食用{short}后身体不适", "吃了{short}后腹泻", "{short}导致身体不适就医"),
          ("昨天晚上吃了{short}，半夜就开始拉肚子，一晚上跑了五六趟厕所。",
           "[孩子喝{short}后上吐下泻]孩子喝了{short}以后上吐下泻，送医院挂了两天水。",
           "家里三个人都吃了，全都肚子疼，只有没吃的人没事。",
           "[食用{short}后住院]老人吃了以后腹泻发烧，现在还在医院住院观察。",
           "喝完不到两个小时就开始肚子疼，医生说是急性肠胃炎。"),
          ("dairy", "bakery", "gift", "snack", "drink", "frozen"),
          details=("医院的病历和发票我都留着。", "剩下的{short}我已经封好放冰箱了，可以拿去检测。",
                   "医药费已经花了{amount}多块。", "我请了{n}天假在家照顾孩子。"),
          demands=((COMP,), (REFUND, COMP), (COMP, SORRY)), emotions=(A, E), seasons={"summer": 1.6}),
    Topic("injury", C, "product_quality", SER, URG, 0.6,
          ("使用{short}时受伤", "{short}质量问题致人受伤"),
          ("[{short}裂开烫伤]倒开水的时候{short}突然裂开，开水洒在手上，烫起了泡。",
           "@teaware:[{short}杯盖弹开烫伤]杯盖弹开，热水溅到孩子脸上，已经去医院处理了。",
           "[{short}割伤手]洗的时候杯口有个缺口把手割破了，缝了{n}针。",
           "[{short}炸裂划伤]刚倒进热水就炸了，碎片飞得到处都是，腿上划了一道口子。"),
          ("teaware",), details=("医院的单据都在。", "我们是按说明书正常使用的。", "这种质量问题太危险了。"),
          demands=((COMP,), (REFUND, COMP, SORRY)), emotions=(A, E)),
    Topic("tea_quality", C, "product_quality", MIN, PGEN, 3,
          ("{short}品质差", "{short}与宣传不符"),
          ("[{short}碎末多]罐子里一半都是碎末，根本不像特级。",
            "[{short}茶梗太多]茶梗特别多，挑出来有一小把。",
           "和店里试喝的完全不是一个味道。", "泡开一看叶底发黑，不像是新茶。",
            "说是明前特级，我看就是普通的雨前茶。"),
          ("tea",), demands=((EXCH,), (REFUND,), (RETURN,)), emotions=(D, R)),
    Topic("retail_defect", C, "product_quality", MIN, PGEN, 3,
          ("{short}质量问题", "{short}有瑕疵"),
          ("@teaware:[{short}不保温]早上倒的开水，中午就凉了，根本不保温。",
           "[{short}有裂纹]收到的茶壶壶嘴有一道裂纹，一倒水就渗。",
            "[{short}掉漆]才用了没几次，杯身就开始掉漆。",
           "[{short}漏水]盖子拧不紧，一晃就漏水。",
            "[{short}有塑料味]杯子里面有一股很重的塑料味，洗了好几遍还有。"),
          ("teaware",), demands=((EXCH,), (RETURN,), (REPAIR,), (REFUND,)), emotions=(D, CALM)),
    Topic("jewellery_quality", C, "product_quality", MIN, IMP, 2.5,
          ("{short}质量问题", "投诉：{short}质量"),
          ("[{short}断裂]戴了不到一个月{short}就断了，我平时都很小心。",
            "[{short}变色]{short}表面发黑变色，这真的是足金吗？",
           "[{short}克重不符]拿到别的金店称了一下，比标签上少了零点几克。",
            "[{short}搭扣松动]搭扣松了，差点掉了都没发现。",
           "[{short}证书编号不符]证书上的编号和吊牌对不上。"),
          ("jewellery",), details=("发票和证书都在。", "当时店员说终身免费维修的。",
            "这是给我妈买的生日礼物。"),
          demands=((REPAIR,), (EXCH,), (REFUND,), (REFUND, COMP)), emotions=(D, A, R)),
    Topic("jewellery_price", C, "price", GEN, IMP, 1.5,
          ("{short}价格争议", "金饰收费问题"),
          ("[以旧换新手工费争议]以旧换新的时候说好不收手工费，结账又多收了{amount}元。",
           "[旧金回收价偏低]回收价比当天金价低太多了，店员也解释不清楚。",
           "[金价计算有问题]标价和结账时候的金价不一样，差了好几十块一克。",
           "[店员强行推销]店员一直推销，说不买新的就不给我做清洗。"),
          ("jewellery",), where="store", demands=((REFUND,), (OTHER,), (SORRY,)), emotions=(D, R)),
    Topic("professional_claim", C, "product_quality", SPE, IMP, 0.8,
          ("要求十倍赔偿", "标签问题索赔"),
          ("[标签违规索赔]我买了{qty}{unit}{short}，标签上写着'零添加'，配料表里却有添加剂，违反食品安全法。",
           "[宣传用语违规]你们宣传'最好的茶叶'，用了绝对化用语，违反广告法。",
           "[营养成分表不规范]标签上的营养成分表不规范，我一共买了{qty}{unit}，要求退一赔十。"),
          ("tea", "snack", "gift", "dairy"),
          details=("如不处理，我将向市场监管局举报。", "购物小票和视频我都保存了。"),
          demands=((COMP,), (REFUND, COMP)), emotions=(CALM,), quantity=(10, 40)),
    # --- packaging and labels -------------------------------------------------------------
    Topic("package_damaged", C, "packaging", MIN, PGEN, 8,
          ("包装破损", "{short}外包装破损", "收到时包装已破", "{short}包装压坏"),
          ("收到的时候外箱被压扁了，里面的{short}也压坏了{n}{unit}。",
           "[礼盒被压坏]礼盒角都压塌了，本来是要送人的，现在根本拿不出手。",
            "快递盒破了个大洞，东西是露在外面的。",
           "@tea:[茶叶罐压瘪]茶叶罐凹进去一大块，盖子都盖不上。",
            "@teaware:[茶具运输破碎]茶具碎了两个杯子，包装里连个泡沫都没有。",
           "@dairy,drink:整箱的纸箱破了，有几盒已经漏了。", "外包装是破的，里面的小袋也有划口。",
           "@gift:[礼盒提手断裂]月饼礼盒的提手断了，盒子也裂开了。"),
          ANY_PRODUCT, where="online",
          details=("快递员送到的时候我就当面拍了照。", "这是要送人的。", "包装太简陋了，就一层纸箱。",
                    "我已经拒收了一件。"),
          demands=((EXCH,), (REPL,), (REFUND,), (RETURN,)), emotions=(D, A),
          seasons={"double11": 2.5, "spring": 1.6, "mid_autumn": 1.4}),
    Topic("label", C, "packaging", MIN, PGEN, 2,
          ("{short}标签问题", "{short}标识问题"),
          ("[{short}生产日期看不清]生产日期印得很模糊，根本看不清是哪天生产的。",
           "[{short}标签贴错]盒子上贴的标签和里面的东西对不上。", "配料表被价签盖住了，撕下来还撕坏了。",
           "[{short}批号不一致]外箱的批号和里面小包装的批号不一样。"),
          FOOD, demands=((EXCH,), (OTHER,)), emotions=(R, D)),
    # --- delivery -------------------------------------------------------------------------
    Topic("slow_delivery", C, "delivery", GEN, IMP, 9,
          ("快递太慢", "发货太慢", "{short}迟迟未到", "催单：{short}还没到"),
          ("[物流一直不更新]下单都{days}天了还没收到，物流信息一直不动。",
            "说好48小时发货，结果第{days}天才发出去。",
           "快递太慢了，同城送了{days}天。", "[显示签收但未收到]物流显示已签收，可我根本没收到。",
           "@dairy:{short}路上走了{days}天，到手都是温的。", "页面写的次日达，结果等了一个星期。"),
          ANY_PRODUCT, where="online",
          details=("客服只会让我再等等。", "打{courier}的电话也没人接。", "这是要送人的，现在都过时间了。"),
          demands=((OTHER,), (REFUND,), (RETURN,)), emotions=(D, E, A),
          seasons={"double11": 3.0, "618": 1.8, "spring": 1.5}),
    Topic("courier_service", C, "delivery", GEN, PGEN, 3,
          ("快递服务问题", "配送服务差"),
          ("[快递放驿站不通知]{courier}的快递员不送上门，直接放{place}，也不打个电话。",
           "[快递不送上门]我备注了送货上门，结果还是扔在{place}，东西都放坏了。",
           "[快递员态度差]快递员打电话态度很差，让我自己下楼去拿。",
           "[快递被代签丢失]没经过我同意就签收了，东西放在{place}丢了。"),
          ANY_PRODUCT, where="online", demands=((SORRY,), (OTHER,), (REPL,)), emotions=(D, A),
          seasons={"double11": 1.8}),
    Topic("wrong_item", C, "delivery", MIN, IMP, 3,
          ("收到的货不对", "订单发货有误"),
          ("[发错规格]我买的是{spec}的，发来的是别的规格。",
            "[{short}少发了]订单里买了{qty}{unit}，只收到{received}{unit}。",
           "[赠品未发]赠品没有发，页面上写着买就送。", "[口味发错]口味发错了，我要的是原味的。"),
          ANY_PRODUCT, where="online", demands=((REPL,), (EXCH,), (RETURN,)), emotions=(D, R),
          seasons={"double11": 2.0}, quantity=(2, 6)),
    Topic("cold_chain", C, "delivery", MIN, IMP, 2,
          ("冷链配送问题", "{short}没有冷藏配送"),
          ("@frozen:[{short}到货时已化冻]汤圆到的时候已经全化了，粘成一坨。",
            "箱子里的冰袋早就化了，{short}摸着是热的。",
           "说是冷链配送，结果就是普通快递。", "@dairy:{short}送到的时候已经放了大半天，不敢喝。"),
          ("dairy", "frozen"), where="online", demands=((REFUND,), (EXCH,), (REPL,)), emotions=(D, E),
          seasons={"summer": 2.0}),
    Topic("festival_delivery", C, "delivery", GEN, IMP, 0,
          ("年货迟迟未到", "节日礼盒送达太晚"),
          ("[春节前下单至今未发货]腊月二十下的单，说年前一定到，结果到现在还没发货。",
           "买的年货礼盒是送亲戚的，年都过完了才到。", "快递停运了你们页面上也不提示一下，白等了好几天。"),
          ("gift", "tea", "snack", "dairy"), where="online", demands=((REFUND,), (RETURN,), (COMP,)),
          emotions=(A, D), seasons={"spring": 8.0}),
    # --- service --------------------------------------------------------------------------
    Topic("staff_attitude", C, "service_attitude", GEN, IMP, 6,
          ("店员服务态度差", "门店员工态度恶劣", "服务态度问题"),
          ("问了{staff}两遍，爱答不理的，一直在玩手机。", "{staff}说话很冲，还翻白眼，让人很不舒服。",
           "我就是问一下能不能开发票，{staff}很不耐烦。",
            "[试吃时被店员讥讽]试吃的时候{staff}说'不买就别吃'，当着很多人的面，太难堪了。",
           "[店员上班聊天不理顾客]我进去的时候{staff}在聊天，等了半天没人理。",
            "[退货时店员态度差]退货的时候{staff}一直阴阳怪气的。"),
          ANY_PRODUCT, product_optional=True, where="store",
          details=("旁边的顾客都看不下去了。", "我在你们店消费好几年了，第一次遇到这样的。",
                    "店长当时也不在。"),
          demands=((SORRY,), (SORRY, OTHER)), emotions=(A, D)),
    Topic("inconsistent_info", C, "service_attitude", GEN, IMP, 3,
          ("店员说法前后不一", "门店解释口径不一致"),
          ("[柜台与大堂经理说法不一致]大堂经理说礼品卡可以直接退，到了柜台又说不行，让我来回跑了三趟。",
           "[柜台与大堂经理说法不一致]柜台和大堂经理说法不一致，一个说要带发票，一个说不用，白跑一趟。",
           "[客服与门店说法不一致]电话里客服说可以换，到店里店员又说过了七天不给换。",
           "[大堂经理指引有误]大堂经理让我先填表，填好了柜台说这个表早就不用了。",
           "[积分兑换规则解释不一]会员积分兑换，前台说周末不能用，店长又说可以，到底听谁的？"),
          ANY_PRODUCT, product_optional=True, where="store", demands=((SORRY,), (OTHER,)),
          emotions=(R, D, A)),
    Topic("queue_long", C, "service_attitude", GEN, PGEN, 4,
          ("排队太久", "等待时间太长"),
          ("[结账排队太久]就买一{unit}{short}，排队结账排了{minutes}分钟。",
           "[只开一个收银台]周末人那么多只开一个收银台，队都排到门口了。",
           "前面只有两个人，等了二十多分钟，收银员一直在处理一个退货。",
           "[办理会员业务等待太久]办个会员卡充值等了{minutes}分钟，工作人员还在找主管授权。",
           "[自提等待太久]取个线上订单的货，等了{minutes}分钟还没找到我的单。"),
          ANY_PRODUCT, product_optional=True, where="store", demands=((OTHER,), (SORRY,)), emotions=(D,),
          seasons={"spring": 1.5, "mid_autumn": 1.5}),
    Topic("store_environment", C, "other", GEN, PGEN, 2,
          ("门店环境问题", "门店设施问题"),
          ("[门店地面湿滑]下雨天门口的地面特别滑，我妈进门差点摔了一跤，也没个防滑垫。",
           "[店内空调不制冷]店里空调不制冷，热得待不住。",
            "[门口电动车乱停]门店门口电动车乱停，推婴儿车根本进不去。",
           "[商场停车收费争议]商场停车场说消费满两百免停车费，结果出去的时候还是收了{amount}块。",
           "[店内卫生差]店里的垃圾桶满了也没人清，有一股味道。",
            "[门口台阶损坏]店门口的台阶坏了好久了，晚上看不清很危险。"),
          where="store", demands=((OTHER,), (SITE,)), emotions=(D, CALM)),
    Topic("hotline", C, "after_sales", GEN, IMP, 3,
          ("客服问题", "客服服务差"),
          ("[客服电话打不通]客服热线打了一上午都是忙音。",
            "[在线客服答非所问]在线客服只会发机器人回复，问什么都答非所问。",
           "[承诺回电未回]客服说会在24小时内回电，已经三天了没人联系我。",
           "[来回转接]打过去转了好几个人，每个人都让我重新说一遍。"),
          ANY_PRODUCT, product_optional=True, demands=((OTHER,), (SORRY,)), emotions=(A, D), context=False),
    Topic("refund_slow", C, "after_sales", GEN, IMP, 3,
          ("退款迟迟未到账", "退货后一直没退款", "退款问题"),
          ("退货寄回去{days}天了，钱还没退回来。", "客服说已经退款了，银行卡根本没收到。",
           "退货单号都给你们了，一直显示处理中。", "[退款金额不对]只退了一半的钱，运费也没退。"),
          ANY_PRODUCT, where="online", demands=((REFUND,), (REFUND, SORRY)), emotions=(D, A),
          seasons={"double11": 1.6}),
    Topic("return_refused", C, "after_sales", GEN, IMP, 3,
          ("拒绝退换货", "不给办理退货"),
          ("[打折商品不给退]东西没拆封，门店说打折商品不给退。",
            "[质量问题被推责]明明是质量问题，店员非说是我自己弄坏的。",
           "[七天无理由不给退]说七天无理由退货，过了五天来退就说不行。",
           "[退货运费争议]让我自己出运费寄回去，质量问题凭什么我出运费？"),
          ANY_PRODUCT, demands=((RETURN,), (REFUND,), (EXCH,)), emotions=(A, D)),
    Topic("promo_dispute", C, "price", GEN, IMP, 4,
          ("促销优惠问题", "价格争议"),
          ("[价签与结账价格不一致]货架上标的价格和结账的时候不一样，多收了我{amount}元。",
           "[买二送一未兑现]说好的买二送一，结账只算了一件的优惠。",
            "[满减优惠没有算]活动页面写的满199减30，下单的时候没有减。",
           "[会员日折扣问题]会员日说全场九折，{short}不参加也不提前说。",
           "[降价补差问题]刚买完第二天就降价了{amount}块，问能不能补差价说不行。"),
          ANY_PRODUCT, demands=((REFUND,), (OTHER,), (SORRY,)), emotions=(D, A),
          seasons={"double11": 2.0, "618": 1.6}),
    Topic("price_high", C, "price", GEN, PGEN, 3,
          ("{short}价格太贵", "价格偏高"),
          ("[{short}涨价]{short}又涨价了，一{unit}贵了好几块。",
            "同样的{short}，超市比你们店便宜{amount}块。",
           "价格太贵了，性价比不高。", "[过度包装价格高]包装弄得那么豪华，东西没多少，价格倒是不便宜。"),
          ANY_PRODUCT, demands=((), (OTHER,)), emotions=(D, CALM), context=False),
    Topic("gift_card", C, "after_sales", GEN, IMP, 2,
          ("礼品卡使用问题", "卡券问题"),
          ("[礼品卡无法使用]朋友送的{short}在门店刷不了，说是没激活。",
           "[提货券兑换问题]月饼提货券到期前去兑换，店里说已经兑完了。",
           "[储值卡余额不对]卡里应该还有{amount}元，查出来只剩一点点。",
           "[礼品卡线上不能用]线上商城不能用礼品卡，只能去门店，门店又说这个卡种不支持。"),
          ("card",), demands=((REFUND,), (OTHER,), (COMP,)), emotions=(D, R), context=False),
    Topic("invoice", C, "after_sales", GEN, PGEN, 1.5,
          ("发票问题", "开票问题"),
          ("[电子发票迟迟未收到]买完{days}天了，电子发票一直没发到我邮箱。",
            "[无法开具专票]要开公司抬头的专票，店里说开不了。",
           "[发票金额不符]发票上的金额和实际付的不一样。"),
          ANY_PRODUCT, product_optional=True, demands=((OTHER,),), emotions=(D, R)),
    Topic("privacy", C, "other", GEN, IMP, 1,
          ("个人信息问题", "营销骚扰"),
          ("[营销短信骚扰]退订了好几次，还是每天收到你们的促销短信。",
           "[疑似泄露会员信息]在你们店办了会员以后，就一直接到推销电话，是不是把我信息卖了？",
           "[快递单信息未打码]快递单上我的手机号和地址一个字都没打码。"),
          demands=((SORRY,), (OTHER,)), emotions=(A, D), context=False),
    Topic("vague_complaint", C, "other", GEN, PGEN, 3,
          ("顾客不满意", "差评", "体验不好"),
          ("不太满意。", "体验很差。", "东西一般般。", "不怎么样，下次不买了。", "感觉不值这个价。",
            "服务一般。",
           "不好。", "很失望。"),
          demands=((),), emotions=(D,), validity=Validity.VAGUE, context=False),
    # --- trade customers, authorities, media, colleagues ----------------------------------
    Topic("trade_shortage", C, "delivery", MIN, IMP, 4,
          ("到货问题", "订单到货异常"),
          ("[到货短少]订单{order}，订了{qty}箱{short}，到货清点少了{n}箱。",
           "[到货外箱破损]这批{short}外箱有{defect}箱压坏，里面有漏液，已经拒收了。",
           "[到货临期]到货的{short}批号是{batch}，离过期只剩不到一个月，我们卖不掉。",
           "[发货规格不符]发来的{short}规格和订单不一致，订的是{spec}。"),
          ("dairy", "drink", "snack", "gift", "tea", "frozen"), ctypes=BUSINESS, context=False,
          details=("签收单上已经注明了。", "照片已经发给你们业务员了。", "下面的门店在催货。"),
          demands=((REPL,), (EXCH,), (RETURN,), (REFUND,)), emotions=(D, CALM), quantity=(40, 300)),
    Topic("trade_late", C, "delivery", GEN, IMP, 2,
          ("发货延迟", "订货迟迟未到"),
          ("上周下的订单，承诺三天到货，到现在还没发。",
            "[备货未按时到货]节前备的{short}到现在还没到，门店都断货了。",
           "物流说车在路上，问了三天都是这句话。"),
          ("dairy", "drink", "snack", "gift", "tea"), ctypes=BUSINESS, context=False,
          demands=((OTHER,), (REPL,)), emotions=(D, E), quantity=(40, 300),
          seasons={"spring": 2.0, "mid_autumn": 2.0}),
    Topic("supermarket_issue", C, "packaging", MIN, IMP, 2,
          ("商超到货问题", "门店陈列与到货问题"),
          ("[条码无法扫描]新到的这批{short}条码扫不出来，收银台没法结账。",
           "@dairy,frozen:[到货温度超标]到货的时候测了温度，{short}有十二度，超过冷藏要求了。",
           "[临期商品回收]有{defect}箱{short}临期了，按合同要求你们回收。",
           "[促销物料未到]促销堆头的物料到现在还没送来，活动后天就开始了。"),
          ("dairy", "drink", "snack", "frozen"), ctypes=(CT.SUPERMARKET,), context=False,
          demands=((EXCH,), (RETURN,), (SITE,), (OTHER,)), emotions=(D, CALM), quantity=(20, 200)),
    Topic("trade_terms", C, "price", GEN, IMP, 1.5,
          ("经销问题", "渠道价格问题"),
          ("[区域窜货]隔壁一条街有人卖的{short}比我们进货价还低，是不是有人窜货？",
           "[返利未到账]说好的季度返利到现在还没到账。",
            "[进货价调整未通知]新的进货价涨了，也没有提前通知我们。"),
          ("dairy", "drink", "tea", "gift",
            "snack"), product_optional=True, ctypes=(CT.RETAILER, CT.DISTRIBUTOR),
          context=False, demands=((OTHER,),), emotions=(D, A)),
    Topic("group_order", C, "after_sales", MIN, IMP, 2,
          ("团购订单问题", "企业福利订单问题"),
          ("[团购到货短少]我们公司订了{qty}份{short}做员工福利，到货少了{n}份。",
           "[定制礼盒印刷错误]定制的{short}礼盒上印的公司名字印错了一个字。",
           "[团购配送延迟]团购的{short}说好节前三天送到，结果节后才到。",
            "[团购专票未开]团购订单的专票一直没开出来，财务在催。"),
          ("gift", "tea", "snack"), ctypes=(CT.BUYER,), context=False,
          demands=((REPL,), (EXCH,), (COMP,), (OTHER,)), emotions=(D, A), quantity=(30, 400),
          seasons={"spring": 2.0, "mid_autumn": 2.5, "dragon_boat": 1.5}),
    Topic("regulator_notice", C, "product_quality", MAJ, URG, 3,
          ("监管部门来函", "市场监管部门通知"),
          ("[监督抽检情况通报]经我局监督抽检，你司生产的{product}（批号{batch}）菌落总数项目不符合食品安全国家标准，"
           "请于收到通知后立即采取控制措施，并在五个工作日内书面报告。",
           "[消费者举报转办]我局接到消费者举报，反映在{store}购买的{short}存在质量问题，请你司核实处理，并于七日内回复处理结果。",
           "[标签标识检查问题]日常检查中发现{store}部分预包装食品标签标识不规范，请限期整改。",
           "[协查函]关于你司{product}的投诉举报，请提供该批次的出厂检验报告及原料进货查验记录。"),
          FOOD, ctypes=(CT.REGULATOR,), context=False, demands=((OTHER,), (SITE,)), emotions=(CALM,),
          channels=("letter", "fax", "phone", "email")),
    Topic("media_enquiry", C, "product_quality", MAJ, URG, 3,
          ("媒体来电", "媒体关注"),
          ("[记者核实消费者投诉]接到读者爆料，说在{store}买的{short}吃出了异物，想向你们核实一下情况。",
           "[记者核实消费者投诉]有消费者向我们栏目反映，你们的{short}喝了以后拉肚子，想请你们回应一下。",
           "[网络舆情]网上有一条视频说你们的{short}发霉，已经有几万转发了，请问你们怎么看？",
           "[媒体采访邀约]我们在做一期关于节日礼盒过度包装的报道，想了解一下你们的情况，方便的话请安排采访。"),
          FOOD, ctypes=(CT.MEDIA,), context=False, demands=((OTHER,),), emotions=(CALM,),
          channels=("phone", "email", "social_media")),
    Topic("internal_alarm", C, "product_quality", MAJ, IMP, 3,
          ("内部质量报警", "质量异常反馈"),
          ("[灌装线封口异常]{short}灌装线巡检发现批号{batch}的部分产品封口不严，已隔离{defect}箱，请质量部确认是否需要追溯已发货产品。",
           "[仓库发现批次受潮]仓库盘点发现{batch}批次的{short}外箱受潮发霉，共{defect}箱，已暂停发货。",
           "[批次投诉增多预警]门店反馈{short}近一周投诉明显增多，涉及批号{batch}，请质量部跟进。",
           "[净含量抽检不合格]抽样检测{short}净含量，{batch}批次有{n}件低于标示值。"),
          FOOD, ctypes=(CT.INTERNAL,), context=False, demands=((OTHER,), (SITE,)), emotions=(CALM,),
          quantity=(50, 500), channels=("internal", "dingtalk")),
    # --- inquiries ------------------------------------------------------------------------
    Topic("ask_storage", ASK, "product_quality", "", PGEN, 5,
          ("{short}咨询", "咨询：{short}保存"),
          ("[{short}开封后保存咨询]{short}开封以后能放多久？要不要放冰箱？",
           "[{short}保质期咨询]请问{short}的保质期是多久？包装上写得不太清楚。",
           "@tea:[{short}冷藏保存咨询]{short}放在冰箱里保存可以吗？会不会串味？",
           "@dairy,drink,tea:[孕妇饮用咨询]孕妇可以喝{short}吗？",
            "@gift,snack,bakery:{short}放在车里会不会坏？",
           "@tea:{short}一天喝多少合适？", "@dairy:[{short}加热咨询]{short}可以用微波炉加热吗？",
           "@frozen:[{short}解冻后保存咨询]{short}化了以后再冻还能吃吗？"),
          FOOD, emotions=(R, CALM), context=False),
    Topic("ask_ingredients", ASK, "product_quality", "", PGEN, 4,
          ("{short}配料咨询", "{short}成分咨询"),
          ("@dairy,drink,bakery,gift,snack:[{short}含糖咨询]{short}里面有没有添加蔗糖？",
           "@gift,snack,bakery:[过敏原咨询]{short}含不含坚果？孩子过敏。",
           "@dairy:[乳糖不耐受咨询]乳糖不耐受能喝{short}吗？",
            "@drink,snack,gift:配料表上的'食品用香精'是什么成分？",
           "@gift,snack,bakery,frozen:[{short}是否清真]{short}是不是清真的？",
           "@bakery,gift,frozen:[糖尿病人能否食用]{short}糖尿病人能吃吗？",
           "@tea:[{short}是否新茶]{short}是今年的新茶吗？",
            "@tea:[农残检测报告咨询]{short}有没有农残检测报告？",
           "@dairy:{short}是不是生牛乳做的？"),
          FOOD, emotions=(R, CALM), context=False),
    Topic("ask_store", ASK, "other", "", PGEN, 4,
          ("门店咨询", "门店服务咨询"),
          ("[门店营业时间咨询]{store}几点关门？", "[到货咨询]{store}现在有没有{short}的现货？",
           "[门店地址咨询]{city}还有其他门店吗？", "[春节营业咨询]春节期间门店营业吗？",
           "[门店自提咨询]在网上买的能不能到门店自提？"),
          ANY_PRODUCT, product_optional=True, emotions=(CALM,), context=False),
    Topic("ask_order", ASK, "delivery", "", PGEN, 4,
          ("订单咨询", "订单物流查询"),
          ("[发货时间咨询]订单{order}什么时候发货？", "[物流查询]我的快递到哪了？物流一直没更新。",
           "[修改收货地址]能不能改一下收货地址？", "[指定送货时间咨询]可以指定送货时间吗？"),
          ANY_PRODUCT, where="online", emotions=(R, E, CALM), context=False, seasons={"double11": 2.0}),
    Topic("ask_invoice", ASK, "after_sales", "", PGEN, 2,
          ("发票咨询", "开票咨询"),
          ("[如何开具电子发票]怎么开电子发票？", "[发票重开咨询]发票抬头写错了能重开吗？",
            "[补开发票咨询]在门店买的能补开发票吗？"),
          emotions=(R, CALM), context=False),
    Topic("ask_member", ASK, "other", "", PGEN, 3,
          ("会员咨询", "会员权益咨询"),
          ("[积分兑换咨询]会员积分怎么兑换？", "[积分延期咨询]积分快过期了，能延期吗？",
            "[会员生日优惠咨询]会员生日有什么优惠？",
           "[储值卡使用咨询]储值卡可以在所有门店用吗？"),
          emotions=(CALM, R), context=False),
    Topic("ask_jewellery", ASK, "price", "", PGEN, 2,
          ("金饰咨询", "首饰服务咨询"),
          ("[金价咨询]今天的足金多少钱一克？", "[以旧换新咨询]以旧换新怎么收费？",
            "[首饰清洗咨询]{short}能免费清洗吗？",
           "[首饰改圈咨询]手链可以改短一点吗？收不收费？"),
          ("jewellery",), emotions=(CALM,), context=False),
    Topic("ask_wholesale", ASK, "price", "", IMP, 1.2,
          ("合作咨询", "批量采购咨询"),
          ("[团购咨询]我们公司想订{qty}份{short}，有没有团购价？",
            "[礼盒定制咨询]能不能定制礼盒，印我们公司的logo？",
           "[经销合作咨询]想做你们的经销商，需要什么条件？", "[加盟咨询]加盟一个店大概要投多少钱？"),
          ("gift", "tea", "snack", "dairy"), ctypes=(CT.BUYER, CT.RETAILER, CT.DISTRIBUTOR, CT.CONSUMER),
          emotions=(CALM,), context=False, quantity=(50, 500), seasons={"mid_autumn": 2.0, "spring": 1.8}),
    Topic("ask_after_sales", ASK, "after_sales", "", PGEN, 2,
          ("售后咨询", "退换货咨询"),
          ("[换货咨询]买的{short}不合适，可以换成别的吗？", "[退货手续咨询]退货需要带什么？",
           "@teaware:[保修咨询]{short}保修多久？"),
          ANY_PRODUCT, emotions=(CALM, R), context=False),
    # --- suggestions ----------------------------------------------------------------------
    Topic("suggest_packaging", S, "packaging", "", PGEN, 3,
          ("包装改进建议", "包装建议"),
          ("[建议简化包装]礼盒包装太大了，里面东西没多少，建议简化包装，环保一点。",
           "@dairy,drink:[吸管太短]{short}的吸管太短，够不到底。",
            "[建议出小包装]建议出小包装的，一次吃不完。",
           "@tea:[罐盖太难开]罐子的盖子太难开了，老人打不开。", "外包装能不能做成可以重复用的。",
           "@dairy:[生产日期字太小]{short}的盒子能不能印大一点的生产日期，老人看不清。"),
          FOOD, emotions=(CALM, D), context=False, seasons={"mid_autumn": 1.8}),
    Topic("suggest_product", S, "product_quality", "", PGEN, 3,
          ("产品建议", "新品建议"),
          ("[希望推出无糖款]希望能出无糖的{short}。", "[希望推出新口味]建议多出几种口味。",
           "[建议推出家庭装]{short}能不能出个家庭装？", "@dairy,snack:[希望增加低脂款]希望增加低脂款。",
           "建议在包装上标明开封后的保存时间。"),
          FOOD, emotions=(CALM,), context=False),
    Topic("suggest_service", S, "service_attitude", "", PGEN, 3,
          ("服务改进建议", "门店服务建议"),
          ("[建议增加收银台]建议周末多开几个收银台。", "[建议增加自助结账]希望能增加自助结账机。",
           "[建议延长营业时间]门店营业时间能不能延长到晚上十点？",
            "[小程序使用建议]小程序下单流程太复杂了，建议简化。",
           "[建议开通预约自提]希望能开通线上预约自提。", "建议在门口放几把椅子，老人等的时候可以坐。"),
          emotions=(CALM, D), context=False),
    Topic("suggest_delivery", S, "delivery", "", PGEN, 1.5,
          ("配送建议", "物流服务建议"),
          ("建议在页面上写清楚大概几天能到。", "[希望可选送货时间]希望可以选择送货时间。",
           "[建议更换快递]快递能不能换成顺丰，其他的太慢了。"),
          where="online", emotions=(CALM, D), context=False),
    Topic("suggest_internal", S, "other", "", PGEN, 1.5,
          ("内部改进建议", "流程改进建议"),
          ("[门店系统改进建议]建议门店收银系统增加会员积分查询功能，现在要打电话问总部。",
           "[建议加装金属探测仪]建议在灌装线加装金属探测仪。", "[建议门店配防滑垫]建议给门店统一配防滑垫。",
           "[客服系统改进建议]建议客服系统能直接看到顾客以前的投诉记录。"),
          ctypes=(CT.INTERNAL,), emotions=(CALM,), context=False, channels=("internal", "dingtalk", "email")),
    # --- praise ---------------------------------------------------------------------------
    Topic("praise_staff", P, "service_attitude", "", PGEN, 3,
          ("表扬信", "感谢与表扬"),
          ("[表扬{store}店员]{store}的{staff2}服务特别好，帮我把东西搬到车上，还提醒我路上慢点。",
           "[表扬{store}店员]表扬一下{store}的店员，我买茶叶犹豫了很久，她一点都不烦，耐心讲了很多。",
           "[表扬客服]上次投诉的事情处理得很快，客服态度很好，谢谢。",
           "[感谢门店员工]老人在店里突然头晕，店员马上扶他坐下还倒了热水，非常感谢。",
           "[表扬快递员]快递员很负责，下大雨还送上门。"),
          emotions=(PLEASED,), context=False),
    Topic("praise_product", P, "product_quality", "", PGEN, 2.5,
          ("{short}好评", "产品表扬"),
          ("@dairy:{short}很好喝，奶味很浓，孩子很喜欢。", "@tea:{short}香气很足，回甘明显，会回购。",
            "包装很精致，送人很有面子。",
           "@bakery,snack:{short}很新鲜，家里人都说好吃。", "@drink:{short}清清爽爽的，夏天喝正好。",
           "@gift:月饼不太甜，老人也能吃，点赞。", "性价比很高，已经推荐给同事了。"),
          FOOD, emotions=(PLEASED,), context=False),
    Topic("praise_vague", P, "other", "", PGEN, 4,
          ("好评", "顾客评价"),
          ("挺好", "不错", "赞", "满意", "挺好的，下次还来。", "东西不错。", "好评", "很好很好", "还可以",
            "五星好评",
           "不错不错", "挺好的"),
          emotions=(PLEASED,), validity=Validity.VAGUE, context=False),
]

BY_CODE = {t.code: t for t in TOPICS}

# --- pieces around the problem ---------------------------------------------------------------

FOREIGN = [  # (text, short, a hazard that makes the case urgent)
    ("一根头发", "头发", False), ("一根长头发", "头发", False), ("一小块塑料片", "塑料片", False),
    ("一颗小石子", "石子", False), ("一段细金属丝", "金属丝", True), ("一只小飞虫", "虫子", False),
    ("一小块碎玻璃", "玻璃碴", True), ("一根黑色的线头", "线头", False), ("一块不明黑色硬物",
      "黑色硬物", False),
    ("半只虫子", "虫子", False), ("一小片像指甲一样的东西", "不明异物", False), ("一块蓝色的塑料皮",
      "塑料皮", False),
]

#: How a consumer's text starts and ends depends on the channel; the other voices by speaker.
STYLE = {
    "phone": "phone", "dingtalk": "online", "walk_in": "walk_in", "portal": "online", "api": "online",
    "wechat": "online", "survey": "online", "ecommerce": "ecommerce", "email": "email", "letter": "letter",
    "fax": "letter", "social_media": "social", "third_party": "phone", "internal": "online",
}
VOICE: dict[str, str] = {CT.REGULATOR: "official", CT.MEDIA: "press", CT.INTERNAL: "internal",
         **{t: "trade" for t in BUSINESS}}

OPENERS = {
    "phone": ("你好，", "喂，你好，", "你好，我想反映个事情。", "我是你们的老顾客了，", "你好，我要投诉。",
              "麻烦帮我登记一下，", "", "", "", "我跟你说一下情况，", "你好，我是{city}的，"),
    "walk_in": ("", "", "我今天专门跑过来一趟，", "我就是来说一下，", "我在你们店买东西很多年了，",
                 "你们店长在吗？"),
    "online": ("", "", "你好，", "您好，", "在吗？", "客服你好，", "亲，"),
    "ecommerce": ("", "", "差评。", "给个差评，", "中评吧，", "第一次买就遇到这种事，"),
    "email": ("您好：\n", "客服您好：\n", "禾悦客服中心：\n"),
    "letter": ("尊敬的禾悦食品有限公司：\n", "禾悦公司客户服务中心：\n", "贵公司负责人：\n"),
    "social": ("@禾悦官方 ", "#禾悦# ", "避雷！", "大家注意了，"),
    "trade": ("", "", "你好，我是{org}的，", "您好，我们是{org}，", "麻烦登记一下，",
               "你们业务员电话打不通，"),
    "official": ("", "你好，这里是{org}。"),
    "press": ("你好，我是{org}的记者，", "您好，我们是{org}，"),
    "internal": ("", "", "质量部：", "各位好，", "同步一个情况：", "@质量部 "),
}
CLOSERS = {
    "phone": ("", "", "请尽快给我回复。", "你们尽快处理一下。", "等你们电话。", "我下午都在家。", "麻烦了。",
              "今天之内给我个答复。"),
    "walk_in": ("", "", "你们尽快处理。", "我留个电话，处理好了通知我。"),
    "online": ("", "", "谢谢。", "请尽快回复。", "希望重视。", "急，在线等。"),
    "ecommerce": ("", "", "不推荐。", "希望商家重视。", "东西还行，就是这个问题。"),
    "email": ("\n盼复，谢谢。", "\n期待您的回复。", "\n谢谢。"),
    "letter": ("\n特此反映，盼复。\n此致\n敬礼", "\n望贵公司尽快核实处理，并书面答复。",
                "\n请贵公司于七日内给予答复。"),
    "social": ("", "大家买的时候注意看看。", "@禾悦官方 给个说法"),
    "trade": ("", "麻烦尽快安排。", "请尽快回复。", "等你们消息。", "这个月的对账先别做了，等处理完再说。"),
    "official": ("", "特此通知。", "请按期回复。"),
    "press": ("请尽快回复，谢谢。", "我们今天下午截稿，请尽快回复。", "方便的话请留个联系人。"),
    "internal": ("", "请尽快确认。", "请相关部门跟进。", "现场照片已发群里。"),
}

CONTEXT_STORE = ("我{date}在{store}买的{product}，", "{date}在你们{store}买了{qty}{unit}{short}，",
                 "家里老人{date}在{store}买的{short}，", "前几天在{store}买的{product}（{spec}），",
                 "我是{store}的会员，{date}买了{short}，", "{date}下班路过{store}买了{short}，")
CONTEXT_ONLINE = ("{date}在你们{platform}下单买了{qty}{unit}{short}，",
                   "在{platform}买的{product}，订单号{order}，",
                  "上周在{platform}抢的{short}，", "{date}在{platform}给家里人买的{product}，",
                  "{platform}买的{short}（{spec}），")
CONTEXT_SERVICE = ("{date}去{store}买{short}，", "{time}在{store}，", "我{time}去{store}，")
BATCH_NOTES = ("批号是{batch}。", "生产批号{batch}。", "包装上印的批号是{batch}。", "（批号{batch}）")

GENERIC_DETAILS = (
    "照片我都拍了。", "东西我还留着没扔。", "小票还在。", "包装盒我也留着。", "我可以把视频发给你们。",
    "之前买了好几次都没问题，这次是第一次遇到。", "当时店里的人说会有人联系我，到现在也没消息。",
)
REPEAT_LINES = (
    "这是我第二次反映这个问题了。", "上次投诉过一次，说好给我回电话，到现在也没人联系我。",
    "上个月已经打过电话了，你们一直拖着不处理。", "同样的问题又出现了，上次你们说已经整改了。",
    "我已经打了三次电话了，每次都让我等。",
)
TRADE_REPEAT_LINES = ("上个月也是这个情况。", "这已经是这个季度第二次了。",
                       "之前反映过一次，到现在没有结果。")
THREATS = (  # risk words of TR-4
    "你们今天不给说法我就打12315投诉。", "我已经在12315平台上登记了。", "这事我会找媒体曝光的。",
    "我已经把视频发到网上了，不少人都在问。", "我朋友是律师，实在不行就走法律程序。", "我会向消协反映。",
    "再这样我就去市场监管局举报。", "你们不处理我就起诉。", "我已经联系了电视台的记者。",
)
HEALTH = (  # harm done: the case becomes serious
    "孩子吃完当天晚上就开始拉肚子。", "我妈吃了以后上吐下泻，在医院住院观察了两天。",
    "吃完嗓子被划了一下，去医院看了急诊。", "家里人吃了都拉肚子了，医药费花了{amount}块。",
)
DEMAND_LINES: dict[str, tuple[str, ...]] = {
    REFUND: ("要求退款。", "把钱退给我。", "我要求全额退款。", "退钱就行。"),
    RETURN: ("我要退货。", "剩下的我要全部退掉。", "这东西我不要了，给我退了。"),
    EXCH: ("给我换一{unit}新的。", "要求换货。", "能不能给我换一批新的。"),
    REPL: ("少的给我补上。", "请把缺的补发给我。", "要求补货。"),
    COMP: ("要求赔偿。", "我要求赔偿损失。", "耽误的时间和路费你们得给个说法。"),
    SORRY: ("需要给我一个道歉。", "必须给我道歉。", "至少要给我一个正式的道歉。"),
    SITE: ("希望派人上门来看一下。", "你们派人过来看看吧。"),
    REPAIR: ("给我修好。", "帮我修一下。", "能修的话先修。"),
    OTHER: ("希望你们给个说法。", "请给我一个合理的解释。", "你们看着处理吧。"),
}
TRADE_DEMAND_LINES: dict[str, tuple[str, ...]] = {
    REFUND: ("货款请退回，或者在下次结算里扣除。", "这部分货款请财务退回。"),
    RETURN: ("这批货我们要退回。", "有问题的货请安排退回。"),
    EXCH: ("请安排换货。", "麻烦换一批新的过来。"),
    REPL: ("请尽快补发。", "缺的请下一车补上。"),
    COMP: ("损失需要你们承担。", "我们的损失请给个说法。"),
    SORRY: ("希望给个书面说明。",),
    SITE: ("请安排业务员过来看一下。", "请派人到现场确认。"),
    REPAIR: ("请安排维修。",),
    OTHER: ("请给个处理方案。", "请尽快给个答复。"),
}
FOOD_COMPENSATION = ("按食品安全法要求十倍赔偿。", "要求退一赔十。")
HEALTH_COMPENSATION = ("医药费和误工费你们要承担。", "医院的费用你们必须负责。")
ASK_CLOSERS = ("麻烦告诉我一下，谢谢。", "谢谢。", "请回复。", "", "", "麻烦尽快回复。")
SUGGEST_CLOSERS = ("", "", "希望采纳。", "谢谢。", "个人一点建议。")
PRAISE_CLOSERS = ("", "", "谢谢！", "点赞。", "希望公司能表扬一下。")

STAFF_WHO = ("收银员", "一个年轻的男店员", "一个戴眼镜的女店员", "门口的导购", "一个扎马尾的店员", "值班经理",
             "工号{staff_no}的店员", "那个个子高高的店员")
STAFF_PRAISED = ("李姐", "小张", "那个短头发的女店员", "店长", "收银的小姑娘", "值班经理王经理")
PLACES = ("小区门口的驿站", "快递柜", "门卫室", "楼下的便利店", "小区的菜鸟驿站")
TIMES = ("昨天下午三点多", "今天上午", "上周日晚上七点左右", "前天中午", "周六下午", "昨天晚上八点多")
SURVEY_WRAP = ("（满意度回访）评分{score}分。顾客意见：", "回访问卷评分{score}分，留言：")
TRANSFER_WRAP = ("【12315平台转办】消费者反映：", "【12345市民热线转办】市民反映：")
COURIER_WRAP = ("【{courier}客服转来】收件人反映：",)
TRANSFER_END = ("请核实处理，并在规定时限内反馈处理结果。", "请尽快联系消费者处理。")
SOCIAL_NAMES = ("微博用户", "小红书用户", "抖音用户")


def pick_line(rng: random.Random, lines: tuple[str, ...] | list[str]) -> str:
    return rng.choice(lines) if lines else ""


def demand_sentence(
    rng: random.Random, demands: tuple[str, ...], *, voice: str, food: bool, health: bool
) -> str:
    """What the speaker asks for, in their own way; authorities, press and colleagues ask nothing."""
    if voice in {"official", "press", "internal"}:
        return ""
    table = TRADE_DEMAND_LINES if voice == "trade" else DEMAND_LINES
    parts = []
    for d in demands:
        if d == COMP and health:
            parts.append(rng.choice(HEALTH_COMPENSATION))
        elif d == COMP and food and voice == "consumer" and rng.random() < 0.3:
            parts.append(rng.choice(FOOD_COMPENSATION))
        else:
            parts.append(rng.choice(table[d]))
    return "".join(parts)
