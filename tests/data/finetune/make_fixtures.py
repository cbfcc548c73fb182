"""Regenerates the small fine-tuning fixtures in this directory.

Run from the repository root: `.venv/bin/python tests/data/finetune/make_fixtures.py`.
The hand-made sets are templated sentences with a fixed seed; the fortune
set takes real entries of data/fortunes (the first 300 characters each).
"""

import csv
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(1234)

POSITIVE = ["great", "wonderful", "excellent", "lovely", "delightful", "superb"]
NEGATIVE = ["awful", "terrible", "boring", "dreadful", "horrible", "dull"]
THINGS = ["movie", "book", "meal", "concert", "trip", "game", "show", "class"]
FRAMES = ["the {t} was {a} .", "what a {a} {t} !", "i found the {t} {a} .", "honestly , a {a} {t} ."]


def sentiment(n):
    rows = []
    for _ in range(n):
        label = rng.choice(["positive", "negative"])
        adjective = rng.choice(POSITIVE if label == "positive" else NEGATIVE)
        rows.append({"text": rng.choice(FRAMES).format(t=rng.choice(THINGS), a=adjective), "label": label})
    return rows


def regression(n):
    rows = []
    for _ in range(n):
        stars = rng.randint(0, 4)
        words = ["good"] * stars + [rng.choice(THINGS) for _ in range(4 - stars)]
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": f"{stars + rng.uniform(-0.2, 0.2):.2f}"})
    return rows


PEOPLE = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry"]
CITIES = [["Paris"], ["London"], ["Berlin"], ["New", "York"], ["Tokyo"], ["Rome"], ["San", "Francisco"]]
VERBS = ["lives in", "visited", "moved to", "works in", "loves"]


def conll(n):
    sentences = []
    for _ in range(n):
        person, city, verb = rng.choice(PEOPLE), rng.choice(CITIES), rng.choice(VERBS)
        words = [(person, "B-PER")] + [(w, "O") for w in verb.split()]
        words += [(w, "B-LOC" if i == 0 else "I-LOC") for i, w in enumerate(city)]
        if rng.random() < 0.5:
            other = rng.choice([p for p in PEOPLE if p != person])
            words += [("with", "O"), (other, "B-PER")]
        words.append((".", "O"))
        sentences.append(words)
    return sentences


JOBS = ["doctor", "teacher", "pilot", "farmer", "painter", "chef"]
FRUITS = ["apples", "pears", "grapes", "plums", "cherries"]


def squad(n, start_id):
    paragraphs, qid = [], start_id
    for _ in range(n):
        person, city = rng.choice(PEOPLE), " ".join(rng.choice(CITIES))
        job, fruit = rng.choice(JOBS), rng.choice(FRUITS)
        parts = [f"{person} was born in {city}.", f"{person} works as a {job}.", f"{person} likes {fruit}."]
        rng.shuffle(parts)
        context = " ".join(parts)
        qas = []
        for question, answer in (
            (f"Where was {person} born?", city),
            (f"What does {person} work as?", job),
            (f"What does {person} like?", fruit),
        ):
            qas.append({"id": f"q{qid}", "question": question, "is_impossible": False,
                        "answers": [{"text": answer, "answer_start": context.index(answer)}]})
            qid += 1
        qas.append({"id": f"q{qid}", "question": f"How old is {person}?", "is_impossible": True, "answers": []})
        qid += 1
        paragraphs.append({"context": context, "qas": qas})
    return {"version": "v2.0", "data": [{"title": "people", "paragraphs": paragraphs}]}


CATEGORIES = {
    "fruit": ["apple", "banana", "cherry", "mango", "peach", "lemon"],
    "animal": ["horse", "tiger", "rabbit", "eagle", "whale", "mouse"],
    "tool": ["hammer", "wrench", "saw", "drill", "shovel", "chisel"],
}


def multiple_choice(n):
    rows = []
    for _ in range(n):
        category = rng.choice(sorted(CATEGORIES))
        right = rng.choice(CATEGORIES[category])
        wrong = [rng.choice(CATEGORIES[c]) for c in sorted(CATEGORIES) if c != category]
        choices = [right] + wrong
        rng.shuffle(choices)
        rows.append({"question": f"Which one is a {category}?", "choices": choices, "label": choices.index(right)})
    return rows


def fortunes(per_class_train, per_class_eval):
    train, held_out = [], []
    for category in ("computers", "science", "politics", "food"):
        with open(os.path.join(HERE, "..", "..", "..", "data", "fortunes", f"{category}.txt"), encoding="utf-8") as f:
            entries = [" ".join(e.split())[:300] for e in re.split(r"^%\s*$", f.read(), flags=re.M) if e.strip()]
        entries = [e for e in entries if len(e) > 40]
        rng.shuffle(entries)
        train += [{"text": e, "label": category} for e in entries[:per_class_train]]
        held_out += [{"text": e, "label": category} for e in entries[per_class_train:per_class_train + per_class_eval]]
    rng.shuffle(train)
    rng.shuffle(held_out)
    return train, held_out


def write_jsonl(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_table(name, rows, delimiter):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"], delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def write_conll(name, sentences):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write("-DOCSTART- O\n\n")
        for words in sentences:
            f.writelines(f"{w} {t}\n" for w, t in words)
            f.write("\n")


if __name__ == "__main__":
    write_table("sentiment_train.csv", sentiment(96), ",")
    write_table("sentiment_eval.csv", sentiment(32), ",")
    write_table("regression_train.tsv", regression(96), "\t")
    write_table("regression_eval.tsv", regression(32), "\t")
    write_conll("ner_train.conll", conll(96))
    write_conll("ner_eval.conll", conll(32))
    with open(os.path.join(HERE, "squad_train.json"), "w") as f:
        json.dump(squad(48, 0), f, indent=1)
    with open(os.path.join(HERE, "squad_eval.json"), "w") as f:
        json.dump(squad(12, 10000), f, indent=1)
    write_jsonl("choice_train.jsonl", multiple_choice(96))
    write_jsonl("choice_eval.jsonl", multiple_choice(32))
    fortune_train, fortune_eval = fortunes(60, 25)
    write_jsonl("fortunes_train.jsonl", fortune_train)
    write_jsonl("fortunes_eval.jsonl", fortune_eval)
