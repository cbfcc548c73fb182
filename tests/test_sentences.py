from albert_keras.data.sentences import split_sentences


def test_english_punctuation_and_newlines():
    text = 'Hello world. How are you?  I am "fine." Really!\n3.14 is pi... ok'
    assert split_sentences(text) == ["Hello world.", "How are you?", 'I am "fine."', "Really!", "3.14 is pi...", "ok"]


def test_chinese_punctuation_keeps_closing_quotes():
    text = "兰叶春葳蕤，桂华秋皎洁。欣欣此生意，自尔为佳节。\n谁知林栖者？“好！”他说"
    expected = ["兰叶春葳蕤，桂华秋皎洁。", "欣欣此生意，自尔为佳节。", "谁知林栖者？", "“好！”", "他说"]
    assert split_sentences(text) == expected


def test_blank_and_whitespace_only_give_nothing():
    assert split_sentences("  \n\n \t") == []
