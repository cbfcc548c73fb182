import tensorflow as tf

from albert_keras.tokenizer.normalize import normalize, preprocess_text

TEXTS = [
    "  Hello\u3000 World\t\n",
    "``Café'' ΣΑΣ ９４６",
    "猫是[MASK]。",
    "",
    "a\x0bb\x85c\xa0d\u2028e",
    "Ångström naïve résumé",
]


def test_tf_normalize_equals_python_preprocess_text():
    for lowercase in (True, False):
        for strip_accents in (True, False):
            got = normalize(tf.constant(TEXTS), lowercase, strip_accents).numpy()
            want = [preprocess_text(t, lowercase, strip_accents) for t in TEXTS]
            assert [g.decode("utf-8") for g in got] == want


def test_follows_albert_preprocess_text():
    assert preprocess_text("  ``Café''  Naïve ") == '"cafe" naive'
    assert preprocess_text("  ``Café''  Naïve ", lowercase=False, strip_accents=False) == '"Café" Naïve'
