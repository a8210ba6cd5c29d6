from kesu.triage.core.normalize import normalize, t2s_table, to_simplified


def test_full_width_latin_and_digits_become_half_width():
    assert normalize("ＡＢＣ打１２３１５") == "abc打12315"


def test_traditional_becomes_simplified():
    assert normalize("這個麵包發霉了，質量太差") == "这个面包发霉了,质量太差"
    assert to_simplified("顧客投訴") == "顾客投诉"


def test_table_is_derived_from_opencc():
    import opencc

    table = t2s_table()
    assert len(table) > 2000
    converter = opencc.OpenCC("t2s")
    for char in "發質業麵蟲過敏們":
        assert table.get(ord(char), char) == converter.convert(char)


def test_emoji_are_kept_without_variation_selectors():
    assert normalize("太差了😡️👍") == "太差了😡👍"


def test_runs_of_punctuation_and_characters_are_shortened():
    assert normalize("怎么回事！！！！！？？？？") == "怎么回事!!??"
    assert normalize("啊啊啊啊啊啊好") == "啊啊啊好"
    assert normalize("好好") == "好好"


def test_whitespace_collapsed_and_lowercased():
    assert normalize("  Very   GOOD\n\t很好 ") == "very good 很好"
    assert normalize("") == ""
