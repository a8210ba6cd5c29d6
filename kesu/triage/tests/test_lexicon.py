from kesu.triage.core.lexicon import Lexicon, parse_lines
from kesu.triage.core.normalize import normalize


def hits(lexicon, text):
    return [(h.word, h.category, h.negated) for h in lexicon.find(normalize(text))]


def test_shipped_lexicons_hold_the_spec_words():
    lexicon = Lexicon.from_dir()
    words = set(lexicon.words)
    for word in ("受伤", "住院", "拉肚子", "腹泻", "异物", "发霉", "变质", "虫子", "头发", "玻璃", "过敏",
                 "媒体", "曝光", "记者", "微博", "抖音", "律师", "起诉", "法院", "12315", "消协", "市场监管"):
        assert word in words, word
    assert {"harm", "hazard", "media", "legal", "regulator"} <= set(lexicon.categories)


def test_negated_words_are_marked():
    lexicon = Lexicon.from_dir()
    assert hits(lexicon, "没有异物") == [("异物", "hazard", True)]
    assert hits(lexicon, "没发现虫子,就是有点甜") == [("虫子", "hazard", True)]
    assert hits(lexicon, "并未住院") == [("住院", "harm", True)]
    assert hits(lexicon, "宝宝喝了会不会过敏") == [("过敏", "harm", True)]
    assert hits(lexicon, "牛奶里有异物") == [("异物", "hazard", False)]
    assert lexicon.risks(normalize("没有异物但是发霉了")) [0].word == "发霉"


def test_longest_word_wins_and_full_width_digits_match():
    lexicon = Lexicon.from_mapping({"harm": ["中毒", "食物中毒"], "regulator": ["12315"]})
    assert hits(lexicon, "全家食物中毒,打了１２３１５") == [
        ("食物中毒", "harm", False), ("12315", "regulator", False)]


def test_bank_name_is_not_a_regulator():
    assert hits(Lexicon.from_dir(), "工商银行的柜员态度差") == []


def test_file_format_weights_and_comments():
    entries = parse_lines("media", ["# comment", "", "曝光 3", "微博", "上 电视 2  # inline"])
    assert [(e.word, e.weight) for e in entries] == [("曝光", 3.0), ("微博", 1.0), ("上 电视", 2.0)]
    assert {e.category for e in entries} == {"media"}


def test_pickles_as_entries():
    import pickle

    lexicon = Lexicon.from_mapping({"media": [("曝光", 3.0)]})
    copy = pickle.loads(pickle.dumps(lexicon))
    assert copy.entries == lexicon.entries
    assert hits(copy, "要曝光") == [("曝光", "media", False)]
