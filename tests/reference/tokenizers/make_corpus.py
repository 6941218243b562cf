#!/usr/bin/python3
"""make_corpus.py OUT.jsonl: the hard cases for tokenizer agreement, one
{"text": ...} per line (issue 14): emoji and other 4-byte characters, CJK,
combining marks (NFC / NFKC), runs of spaces and newlines, tabs, digits,
contractions, code, special tokens inside text, empty documents."""
import json
import sys

CASES = [
    "",
    " ",
    "Hello world",
    " Hello  world   again    ",
    "It's, they're, we've, I'm, you'll, he'd; IT'S THEY'RE",
    "Numbers: 1 12 123 1234 12345 3.14159 1,000,000 ２０２４",
    "tabs\tand\t\ttabs \t mixed",
    "lines\nand\n\nblank\n\n\n lines \n",
    "\r\nwindows\r\nline\r\nends\r\n",
    "emoji 😀 😃😄 👩‍💻 🇩🇪 👍🏽 and 4-byte 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎",
    "東京は日本の首都です。机器学习模型 학습 데이터 ひらがな カタカナ",
    "combining: cafe\u0301 nai\u0308ve A\u030a and precomposed café naïve Å",
    "compat: ﬁne ﬂow ① ²³ ＡＢＣ ｶﾀｶﾅ ℌ",
    "def f(x):\n    return [y ** 2 for y in x if y % 2 == 0]  # squares\n",
    "for (int i = 0; i < n; ++i) { a[i] += b[i] >> 1; } // C\n",
    "<|endoftext|>",
    "before<|endoftext|>after",
    "two <|endoftext|> <|endoftext|> specials",
    "mail |||EMAIL_ADDRESS||| here and<|im_start|>user\nhi<|im_end|>",
    "<s> sentencepiece </s> style <unk> tokens<s>",
    "<｜begin▁of▁sentence｜>deepseek<｜end▁of▁sentence｜>",
    "<|begin_of_text|>llama<|end_of_text|>",
    "   leading spaces",
    "trailing spaces   ",
    "non\u00a0breaking\u2003em\u3000ideographic spaces",
    "punctuation!!! ??? ... --- ((())) [[]] {{}} \"quoted\" 'single'",
    "mixed123abc456 x1y2z3 ABCdef",
    "The quick brown fox jumps over the lazy dog.",
    "Grokking: memorization first, generalization much later, while the loss stays flat.",
    "Ünïcödé ßtraße ÆØÅ æøå ŒŸ",
    "a" * 300,
    " ".join(["word"] * 50),
    "zero\u200bwidth\u200cjoiner\u200dchars",
    "﻿BOM at start",
    "ΑΒΓ αβγ кириллица עברית العربية हिन्दी ไทย",
]


def main(out):
    with open(out, "w", encoding="utf-8") as f:
        for c in CASES:
            f.write(json.dumps({"text": c}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
