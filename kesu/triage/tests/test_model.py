import pytest

from kesu.triage.core import FIELDS
from kesu.triage.core.train import Example, TrainConfig, train_model

CLEAR = [
    # text, expected codes (a sentence of each kind, none of them in the starter set)
    ("牛奶喝了拉肚子住院了", {"kind": "complaint", "category": "product_quality", "severity": "serious",
                            "priority": "urgent", "sentiment": "negative"}),
    ("酸奶里面喝出一根头发", {"kind": "complaint", "category": "product_quality", "severity": "major"}),
    ("快递太慢了，一个星期还没送到", {"kind": "complaint", "category": "delivery", "sentiment": "negative"}),
    ("客服态度太差了，说两句就挂电话", {"kind": "complaint", "category": "service_attitude"}),
    ("挺好的", {"kind": "praise", "validity": "vague", "sentiment": "positive"}),
    ("请问你们门店周末几点开门", {"kind": "inquiry", "sentiment": "neutral"}),
    ("建议增加几个自助结账机", {"kind": "suggestion"}),
    ("谢谢店员小张，服务特别热情周到", {"kind": "praise", "category": "service_attitude",
                                     "sentiment": "positive", "emotion": "pleased"}),
    ("东西太贵了，比别家贵一倍", {"kind": "complaint", "category": "price"}),
]


@pytest.mark.parametrize(("text", "expected"), CLEAR)
def test_starter_model_triages_clear_sentences(starter_model, text, expected):
    triage = starter_model.predict(text)
    got = {name: triage.code(name) for name in expected}
    assert got == expected
    for name in FIELDS:
        prediction = triage.get(name)
        assert prediction is not None
        assert prediction.code in FIELDS[name]
        assert 0.0 < prediction.confidence <= 1.0


def test_harm_text_is_a_crisis_with_reasons(starter_model):
    triage = starter_model.predict("孩子吃了你们的饼干过敏住院了")
    assert triage.crisis is True
    assert triage.risk_words == ["过敏", "住院"]
    assert {"severity.harm", "crisis.harm"} <= {r.id for r in triage.reasons}
    assert triage.model_version == "test-starter"


def test_negated_risk_does_not_raise(starter_model):
    triage = starter_model.predict("检查过了没有异物，就是口感有点甜")
    assert triage.risk_words == []
    assert triage.crisis is False
    assert triage.code("severity") in ("general", "minor")


def test_inquiry_mentioning_media_is_not_a_crisis(starter_model):
    triage = starter_model.predict("请问你们在抖音上的直播间几点开播")
    assert triage.code("kind") == "inquiry"
    assert triage.risk_words == ["抖音"]
    assert triage.crisis is False


def test_vip_and_repeats_raise_priority(starter_model):
    text = "衣服洗了一次就掉色了"
    plain = starter_model.predict(text)
    assert plain.code("priority") == "important"
    raised = starter_model.predict(text, customer_level="vip", repeats=1)
    assert raised.code("priority") == "urgent"
    assert [r.id for r in raised.reasons][-1:] == ["priority.vip"]


def test_predict_many_equals_predict(starter_model):
    texts = ["面包发霉了", "挺好", "请问可以开发票吗"]
    many = starter_model.predict_many(texts)
    assert [t.to_dict() for t in many] == [starter_model.predict(t).to_dict() for t in texts]
    assert starter_model.predict_many([]) == []


def test_training_is_deterministic(starter_examples):
    config = TrainConfig(cv_folds=0)
    a = train_model(starter_examples[:200], config=config, version="a")
    b = train_model(starter_examples[:200], config=config, version="b")
    text = "外卖送了两个小时，汤都洒了"
    same = {"model_version": ""}
    assert a.predict(text).to_dict() | same == b.predict(text).to_dict() | same


def test_extra_labelled_examples_change_a_prediction(starter_examples, starter_model):
    text = "柜台的叫号机又坏了"
    before = starter_model.predict(text).code("category")
    assert before != "after_sales"
    extra = [Example(t, {"category": "after_sales"}, source="confirmed") for t in (
        "叫号机又坏了", "柜台的叫号机坏了没人修", "叫号机坏了好几天", "网点的叫号机故障", "叫号机不出号",
        "叫号机卡纸了", "叫号机屏幕不亮", "叫号机坏了排队乱成一团")]
    retrained = train_model([*starter_examples, *extra], config=TrainConfig(cv_folds=0))
    assert retrained.predict(text).code("category") == "after_sales"
    assert retrained.sources == {"starter": len(starter_examples), "confirmed": 8}


def test_a_single_field_model_leaves_other_fields_empty():
    examples = [Example(t, {"sentiment": s}) for t, s in (
        ("很好", "positive"), ("不错", "positive"), ("满意", "positive"), ("太差", "negative"),
        ("垃圾", "negative"), ("失望", "negative"))]
    model = train_model(examples, config=TrainConfig(cv_folds=0))
    triage = model.predict("很满意")
    assert model.fields == ("sentiment",)
    assert triage.code("sentiment") == "positive"
    assert triage.kind is None
    assert triage.code("priority") == "general"


def test_training_stores_cross_validated_metrics(starter_examples):
    model = train_model(starter_examples, fields=["validity"], config=TrainConfig(cv_folds=3))
    metrics = model.metrics["validity"]
    assert metrics["n"] == len(starter_examples)
    assert (metrics["folds"], metrics["method"]) == (3, "3-fold cross-validation")
    assert 0.8 < metrics["macro_f1"] <= 1.0
