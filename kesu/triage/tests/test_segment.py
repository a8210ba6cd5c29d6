import rjieba

from kesu.triage.core.segment import Segmenter, read_words


def test_domain_words_stay_whole():
    plain = rjieba.cut("外卖小哥态度差，封口不严")
    assert "外卖小哥" not in plain
    words = Segmenter(["外卖小哥", "封口不严"]).cut("外卖小哥态度差,封口不严")
    assert "外卖小哥" in words
    assert "封口不严" in words


def test_default_instance_is_not_changed():
    Segmenter(["奇怪词组测试"]).cut("奇怪词组测试")
    assert "奇怪词组测试" not in rjieba.cut("奇怪词组测试")


def test_shipped_word_list_reads_and_skips_comments():
    words = read_words()
    assert "外卖小哥" in words
    assert all(not w.startswith("#") for w in words)


def test_whitespace_is_dropped_and_pickling_keeps_words():
    import pickle

    seg = Segmenter(["快递小哥"])
    words = seg.cut("快递小哥  来了")
    assert words[0] == "快递小哥"
    assert all(w.strip() for w in words)
    copy = pickle.loads(pickle.dumps(seg))
    assert copy.words == ("快递小哥",)
    assert "快递小哥" in copy.cut("快递小哥来了")
