"""The Chinese-data path of issue 17: review tables, the MSRA NER format, the hash split, entity F1, baselines.

Fast (no model is trained): the readers on hand-written files in the
layouts of ``../shared/data`` (which the tests never read), the split's
golden buckets in this process and in a fresh one, `entity_scores` on
hand-made spans, the classic baselines of `bench/baselines.py` on toy data,
and the pieces of `bench/zh_tasks.py` that do not train.
"""

import hashlib
import json

import numpy as np
import pytest

from albert_keras.data import splits
from albert_keras.data.errors import DataError
from albert_keras.data.readers import conll, table
from albert_keras.tokenizer.wordpiece_encoder import WordPieceEncoder
from albert_keras.training.metrics import entity_scores, token_classification_metrics
from tests.training_fixtures import run_python

# Golden buckets: md5 of the UTF-8 text, mod 10 and mod 100. They never change.
GOLDEN = {"还可以": (0, 80), "很满意": (9, 79), "送餐速度太慢了。": (4, 54), "猫是[MASK]。": (8, 98), "": (6, 66),
          "hello": (4, 94)}


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    return str(path)


# === Review tables ===

def test_review_csv_with_quotes_commas_and_newlines_reads_exactly(tmp_path):
    # The layout of online_shopping_9_cats.csv (cat,label,review), BOM and CRLF, with ASCII commas,
    # doubled quotes and a newline inside quoted reviews.
    path = _write(tmp_path, "reviews.csv", "\ufeffcat,label,review\r\n"
                  '书籍,1,"好书, 推荐 ""必读""\r\n第二段"\r\n'
                  '手机,0,屏幕很差，退货\r\n'
                  '水果,1,"a,b,c"\r\n')
    rows = table.read_labelled_texts(path, "review", "label", ("cat",), labels=["0", "1"])
    assert [(r.text, r.label, r.fields, r.line) for r in rows] == [
        ('好书, 推荐 "必读"\n第二段', "1", {"cat": "书籍"}, 2),
        ("屏幕很差，退货", "0", {"cat": "手机"}, 4),
        ("a,b,c", "1", {"cat": "水果"}, 5),
    ]
    # waimai_10k.csv has no `cat`: label,review.
    path = _write(tmp_path, "waimai.csv", 'label,review\n1,"很快，好吃, 味道足"\n')
    assert [(r.text, r.label, r.fields) for r in table.read_labelled_texts(path, "review")] == [
        ("很快，好吃, 味道足", "1", {})]


def test_review_reader_errors_name_file_line_and_field(tmp_path):
    path = _write(tmp_path, "bad.csv", "cat,label,review\n书籍,1,好\n手机,2,差\n")
    expected = r"^`label` must be one of \['0', '1'\]\. Received: '2' \(.*bad\.csv, line 3\)$"
    with pytest.raises(DataError, match=expected) as e:
        table.read_labelled_texts(path, "review", labels=["0", "1"])
    assert (e.value.line, e.value.field) == (3, "label")
    path = _write(tmp_path, "blank.csv", "cat,label,review\n书籍,1,好\n,0,差\n")
    with pytest.raises(DataError, match=r"`cat` is empty.*\(.*blank\.csv, line 3\)") as e:
        table.read_labelled_texts(path, "review", extra_fields=("cat",))
    assert e.value.field == "cat"
    path = _write(tmp_path, "short.csv", 'cat,label,review\n书籍,1,"好, 没有结束的引号\n')
    with pytest.raises(DataError, match=r"\(.*short\.csv, line 2\)"):
        table.read_labelled_texts(path, "review")


# === MSRA NER format ===

MSRA = "我\tO\n在\tO\n北\tB-LOC\n京\tI-LOC\n\n张\tB-PER\n\u3000\tO\n三\tB-PER\n"


def test_msra_char_tab_bio_format_reads_and_encodes(tmp_path):
    path = _write(tmp_path, "msra.txt", MSRA)  # no blank line after the last sentence
    sentences = conll.read_conll(path)
    assert sentences == [(["我", "在", "北", "京"], ["O", "O", "B-LOC", "I-LOC"]),
                         (["张", "\u3000", "三"], ["B-PER", "O", "B-PER"])]  # a space character stays a token
    assert conll.collect_tags(path) == ["O", "B-LOC", "B-PER", "I-LOC"]
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "我", "在", "北", "京", "张", "三"]
    tags = ["O", "B-LOC", "I-LOC", "B-PER"]
    x, y, _ = conll.encode_conll(path, WordPieceEncoder(tokens), 6, tags)
    assert x["token_ids"].tolist() == [[2, 5, 6, 7, 8, 3], [2, 9, 1, 10, 3, 0]]  # the space is [UNK]
    assert y.tolist() == [[-100, 0, 0, 1, 2, -100], [-100, 3, 0, 3, -100, -100]]


def test_msra_malformed_line_names_file_and_line(tmp_path):
    path = _write(tmp_path, "msra.txt", "我\tO\n在\tO\n\n北京\n")
    expected = r"^A line must hold 'word \.\.\. tag'\. Received: '北京' \(.*msra\.txt, line 4\)$"
    with pytest.raises(DataError, match=expected):
        conll.read_conll(path)
    path = _write(tmp_path, "msra.txt", "我\tO\n在\t\n")
    with pytest.raises(DataError, match=r"\(.*msra\.txt, line 2\)$") as e:
        conll.read_conll(path)
    assert e.value.line == 2


# === The hash split ===

def test_hash_split_has_golden_buckets_and_is_the_pipelines(tmp_path):
    for text, (b10, b100) in GOLDEN.items():
        assert splits.bucket_of(text, 10) == b10 and splits.bucket_of(text, 100) == b100
        assert b10 == int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 10
    assert splits.split_of("还可以", 1, 10) == "eval" and splits.split_of("很满意", 1, 10) == "train"
    assert splits.split_of("很满意", 10, 10) == "eval" and splits.split_of("还可以", 0, 10) == "train"
    texts = [f"评论{i}：很好，推荐" for i in range(1000)]
    parts = splits.split_records(texts, lambda t: t)
    assert parts["train"] + parts["eval"] != texts and sorted(parts["train"] + parts["eval"]) == sorted(texts)
    assert [t for t in texts if t in set(parts["eval"])] == parts["eval"]  # file order kept
    assert 70 <= len(parts["eval"]) <= 130  # ~10%
    with pytest.raises(ValueError, match=r"`eval_buckets` must be an integer in \[0, total_buckets\]"):
        splits.split_of("x", 11, 10)
    with pytest.raises(ValueError, match=r"`total_buckets` must be a positive integer"):
        splits.split_of("x", 0, 0)

    from pipeline.components import text_reading

    assert all(text_reading.split_of(t, 3, 10) == splits.split_of(t, 3, 10) for t in texts)


def test_hash_split_is_the_same_in_another_process():
    texts = [*GOLDEN, *(f"送餐{i}" for i in range(50))]
    code = ("import json, sys; from albert_keras.data import splits; texts = json.loads(sys.argv[1]); "
            "print(json.dumps([[splits.bucket_of(t, 100), splits.split_of(t, 1, 10)] for t in texts]))")
    # A different string-hash seed: a split built on Python's hash() would move.
    proc = run_python(code.replace("sys.argv[1]", repr(json.dumps(texts))), env={"PYTHONHASHSEED": "123"},
                      timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[splits.bucket_of(t, 100), splits.split_of(t, 1, 10)] for t in texts]


# === Entity F1 ===

def test_entity_f1_counts_exact_spans_and_types_micro():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC"], ["B-ORG", "I-ORG", "I-ORG", "O"], ["O", "O"]]
    predicted = [
        ["B-PER", "I-PER", "O", "B-ORG", "I-ORG"],  # PER right; LOC span found with the wrong type
        ["B-ORG", "I-ORG", "O", "O"],  # ORG cut short: wrong
        ["I-LOC", "O"],  # an I- after O opens an entity: a false positive
    ]
    scores = entity_scores(gold, predicted)
    assert (scores["gold_entities"], scores["predicted_entities"], scores["correct_entities"]) == (3, 4, 1)
    assert scores["entity_precision"] == pytest.approx(1 / 4) and scores["entity_recall"] == pytest.approx(1 / 3)
    assert scores["entity_f1"] == pytest.approx(2 / 7)
    assert entity_scores(gold, gold)["entity_f1"] == 1.0
    assert entity_scores([["O"]], [["O"]])["entity_f1"] == 0.0  # nothing to find, nothing found
    # Adjacent entities of one type stay two; a type change inside a span splits it.
    assert entity_scores([["B-PER", "B-PER"]], [["B-PER", "I-PER"]])["correct_entities"] == 0
    assert entity_scores([["B-PER", "I-LOC"]], [["B-PER", "B-LOC"]])["entity_f1"] == 1.0
    with pytest.raises(ValueError, match="as many predicted tags as gold tags"):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="same number of sentences"):
        entity_scores([["O"]], [])


def test_tagger_metrics_score_entities_by_the_same_rule():
    names = ["O", "B-PER", "I-PER", "B-LOC"]
    labels = np.array([[-100, 1, 2, 0, 3, -100], [-100, 3, -100, 0, -100, -100]])
    predicted = np.array([[0, 1, 2, 0, 0, 3], [0, 3, 1, 0, 0, 0]])  # unscored positions are ignored
    logits = np.eye(len(names))[predicted]
    result = token_classification_metrics(labels, logits, names)
    expected = entity_scores([["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O"]],
                             [["B-PER", "I-PER", "O", "O"], ["B-LOC", "O"]])
    assert result["entity_f1"] == pytest.approx(expected["entity_f1"]) == pytest.approx(0.8)
    assert result["accuracy"] == pytest.approx(5 / 6)


# === Baselines and the benchmark's helpers ===

def test_baselines_on_toy_data():
    pytest.importorskip("sklearn")
    from bench import baselines

    good, bad = ["很好", "非常好", "好吃", "很满意", "推荐"], ["很差", "太差了", "难吃", "不满意", "差评"]
    texts, labels = good + bad, [1] * 5 + [0] * 5
    assert baselines.tfidf_lr_accuracy(texts * 3, labels * 3, ["真好", "真差"], [1, 0], min_df=1) == 1.0
    assert baselines.majority_accuracy(texts, [1] * 6 + [0] * 4, ["a", "b", "c", "d"], [1, 0, 0, 0]) == 0.25
    with pytest.raises(ValueError, match="at least 2 classes"):
        baselines.tfidf_lr_accuracy(texts, [1] * 10, texts, [1] * 10)
    assert baselines.char_window_features(["北", "京"])[0] == [
        "bias", "c-2=<s>", "c-1=<s>", "c+0=北", "c+1=京", "c+2=</s>", "c-1c0=<s>北", "c0c+1=北京", "c-1c+1=<s>京",
        "k-1=<s>", "k+0=cjk", "k+1=cjk", "BOS"]
    assert [baselines.char_kind(c) for c in "中a１，\u3000"] == ["cjk", "latin", "digit", "punct", "space"]

    pytest.importorskip("sklearn_crfsuite")
    train = [(list("张三在北京"), ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]),
             (list("李四去上海"), ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"])] * 10
    scores = baselines.crf_entity_scores(train, [(list("张三去上海"), ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"])],
                                         max_iterations=30)
    assert scores["entity_f1"] == 1.0 and scores["gold_entities"] == 2


def test_zh_tasks_chunks_ner_sentences_and_writes_its_section(tmp_path):
    from bench import zh_tasks

    chars = list("中国人民银行在北京，今天宣布新的政策。明天")
    tags = ["B-ORG"] + ["I-ORG"] * 5 + ["O", "B-LOC", "I-LOC"] + ["O"] * (len(chars) - 9)
    chunks = zh_tasks.chunk_sentence(chars, tags, 10)
    assert ["".join(c) for c, _ in chunks] == ["中国人民银行在北京，", "今天宣布新的政策。", "明天"]  # after the comma
    assert sum((c for c, _ in chunks), []) == chars and sum((t for _, t in chunks), []) == tags
    assert ["".join(c) for c, _ in zh_tasks.chunk_sentence(list("一二三四五"), ["O"] * 5, 2)] == ["一二", "三四", "五"]

    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\nbefore\n{zh_tasks.BEGIN}\nold table\n{zh_tasks.END}\nafter\n", encoding="utf-8")
    args = zh_tasks.parse_args(["--quick"])
    zh_tasks.write_output(str(doc), "| new | table |\n", None, args)
    assert doc.read_text(encoding="utf-8") == (
        f"# Benchmarks\n\nbefore\n{zh_tasks.BEGIN}\n| new | table |\n{zh_tasks.END}\nafter\n")
