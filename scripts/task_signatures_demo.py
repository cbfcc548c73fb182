"""Overfits a tiny QA and a tiny NER model on a few sentences and exports both (a served demo).

    PYTHONPATH=. python scripts/task_signatures_demo.py
    # models.config naming /tmp/sig_demo/qa and /tmp/sig_demo/ner, then
    albert serve --model-config-file models.config &
    albert query --model qa --signature answer_question --question "我爱哪里？" --context "我爱北京天安门。"
    albert query --model ner --signature tag --text "我爱北京天安门。"

The answers only show the served mechanics (raw text in, answer and
character offsets out): the models memorize these few sentences.
"""

import shutil

import keras
import numpy as np

from albert_keras import AlbertBackbone
from albert_keras.export import export_saved_model
from albert_keras.tasks import AlbertQuestionAnswerer, AlbertTokenClassifier, decoding
from albert_keras.tokenizer.loading import load_tokenizer

V = "tests/data/wordpiece"
T = 32
tok = load_tokenizer(V)
keras.utils.set_random_seed(0)


def bb():
    return AlbertBackbone(
        vocabulary_size=tok.vocabulary_size(), num_layers=2, num_heads=2, embedding_dim=16, hidden_dim=32,
        intermediate_dim=64, max_sequence_length=T,
    )


qa_data = [
    ("我爱哪里？", "我爱北京天安门。", "北京天安门"),
    ("the cat is where?", "the cat is in the garden.", "in the garden"),
    ("谁是猫？", "猫是一动物。", "一动物"),
]
inputs, off = decoding.encode_pair_with_offsets(tok, [q for q, _, _ in qa_data], [c for _, c, _ in qa_data], T)
x = {k: v.numpy() for k, v in inputs.items()}
starts, ends = [], []
for i, (_, c, a) in enumerate(qa_data):
    s = c.index(a)
    e = s + len(a)
    starts.append(int(np.flatnonzero(off["starts"].numpy()[i] == s)[0]))
    ends.append(int(np.flatnonzero(off["ends"].numpy()[i] == e)[-1]))
qa = AlbertQuestionAnswerer(bb())
qa.compile(optimizer=keras.optimizers.Adam(3e-3))
qa.fit(x, {"start_positions": np.array(starts), "end_positions": np.array(ends)}, epochs=150, verbose=0)
print(qa.answer_question([q for q, _, _ in qa_data], [c for _, c, _ in qa_data], tokenizer=tok, sequence_length=T))
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
ner_data = [("我爱北京天安门。", {"北": 3, "京": 4, "天": 3, "安": 4, "门": 4}), ("大学在北京。", {"北": 3, "京": 4})]
inputs, off = decoding.encode_with_offsets(tok, [t for t, _ in ner_data], T, split_cjk=True)
x = {k: v.numpy() for k, v in inputs.items()}
y = np.full(x["token_ids"].shape, -100, "int32")
for i, (t, tags) in enumerate(ner_data):  # the first piece of each word carries its tag
    for k, first in enumerate(off["word_starts"].numpy()[i]):
        if first:
            ch = t[off["word_begin"].numpy()[i, k] : off["word_end"].numpy()[i, k]]
            y[i, k] = tags.get(ch, 0)
ner = AlbertTokenClassifier(bb(), num_classes=5, class_labels=LABELS)
ner.compile(optimizer=keras.optimizers.Adam(3e-3))
ner.fit(x, y, epochs=150, verbose=0)
print(ner.tag([t for t, _ in ner_data], tokenizer=tok, sequence_length=T))
for name, model in (("qa", qa), ("ner", ner)):
    shutil.rmtree(f"/tmp/sig_demo/{name}", ignore_errors=True)
    export_saved_model(model, f"/tmp/sig_demo/{name}/1", spm_path=V, sequence_length=T)
print("exported")
