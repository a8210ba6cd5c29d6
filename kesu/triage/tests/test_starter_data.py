from collections import Counter

from kesu.triage.core import FIELDS
from kesu.triage.core.train import load_starter


def test_starter_set_covers_every_code_of_every_field():
    examples = load_starter()
    assert len(examples) >= 600
    for name, codes in FIELDS.items():
        counts = Counter(e.labels[name] for e in examples if name in e.labels)
        for code in codes:
            assert counts[code] >= 25, (name, code, counts[code])


def test_starter_texts_are_unique_and_labelled_fully():
    examples = load_starter()
    texts = [e.text for e in examples]
    assert len(texts) == len(set(texts))
    assert all(set(e.labels) == set(FIELDS) for e in examples)
