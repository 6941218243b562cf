#!/usr/bin/python3
"""make_tokenizers.py OUT: writes small tokenizer.json files, one per kind of
tokenizer the MoE checkpoints ship, in HF tokenizers' own format: a BPE
vocabulary and merges trained here (a few hundred merges on a small corpus),
with each kind's normalizer, pre-tokenizer and added tokens as the real files
have them (GPT-2 / GPT-NeoX / OLMo, Qwen2, Llama-3, DeepSeek-V3 byte-level;
Llama-2 / Mixtral SentencePiece-style with byte fallback, both the old
Prepend+Replace and the newer Metaspace form). The tokens are ours; the
structure is theirs. Deterministic.
"""
import json
import os
import re
import sys
from collections import Counter

TRAIN = """The quick brown fox jumps over the lazy dog. It's what they're saying, isn't it?
def tokenize(text):\n    return [t for t in text.split() if t]\n
for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }
In 2024 the model saw 4096 tokens per step and 1234567 steps in all.
Mixture-of-experts models route each token to a few experts per layer.
Grokking: memorization first, generalization much later, while the loss stays flat.
東京は日本の首都です。 机器学习模型 学习 数据
naïve café résumé coöperate über straße
""" * 3


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def train(words, base, n_merges):
    """BPE on word symbol lists: the most frequent pair merged each round."""
    vocab = list(base)
    seen = set(vocab)
    words = Counter(tuple(w) for w in words if w)
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append([a, b])
        if a + b not in seen:
            vocab.append(a + b)
            seen.add(a + b)
        nw = Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] += c
        words = nw
    return vocab, merges


def byte_level(n_merges=400):
    m = bytes_to_unicode()
    words = [" " + w if i else w for line in TRAIN.split("\n") for i, w in enumerate(line.split(" "))]
    words = [[m[b] for b in w.encode("utf-8")] for w in words]
    base = [m[b] for b in range(256)]
    return train(words, base, n_merges)


def sentencepiece(n_merges=300):
    chars = sorted(set(TRAIN.replace(" ", "▁").replace("\n", "")))
    base = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + [c for c in chars if c != "▁"] + ["▁"]
    words = [["▁"] + list(w) for line in TRAIN.split("\n") for w in line.split(" ") if w]
    return train(words, base, n_merges)


def added(specs, first_id):
    out = []
    for i, (content, special, lstrip, rstrip) in enumerate(specs):
        out.append({"id": first_id + i, "content": content, "single_word": False, "lstrip": lstrip,
                    "rstrip": rstrip, "normalized": False, "special": special})
    return out


def bpe_model(vocab, merges, *, byte_fallback=False, unk=None, fuse_unk=False,
              ignore_merges=False, string_merges=False):
    return {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": fuse_unk, "byte_fallback": byte_fallback,
            "ignore_merges": ignore_merges, "vocab": {t: i for i, t in enumerate(vocab)},
            "merges": [" ".join(p) for p in merges] if string_merges else merges}


def tokenizer(added_tokens, normalizer, pre, model):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
            "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": None,
            "decoder": None, "model": model}


QWEN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
        r"\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK = [r"\p{N}{1,3}", "[一-龥\u3040-ゟ゠-ヿ]+",
            r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"]


def split(p):
    return {"type": "Split", "pattern": {"Regex": p}, "behavior": "Isolated", "invert": False}


def bytelevel(prefix=False, regex=True):
    return {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": True, "use_regex": regex}


def main(out):
    os.makedirs(out, exist_ok=True)
    bv, bm = byte_level()
    sv, sm = sentencepiece()
    n = len(bv)
    kinds = {
        # GPT-2: no normalizer, ByteLevel with its own regex, merges as "a b"
        "gpt2": tokenizer(added([("<|endoftext|>", True, False, False)], n), None, bytelevel(),
                          bpe_model(bv, bm, string_merges=True)),
        # GPT-NeoX / OLMo(E): NFC, ByteLevel, added tokens some of which strip
        "olmo": tokenizer(added([("<|endoftext|>", True, False, False), ("<|padding|>", True, False, False),
                                 ("|||EMAIL_ADDRESS|||", False, True, True)], n),
                          {"type": "NFC"}, bytelevel(), bpe_model(bv, bm)),
        # GPT-2 with a prefix space
        "gpt2_prefix": tokenizer([], None, bytelevel(prefix=True), bpe_model(bv, bm)),
        # Qwen2 / Qwen3: NFC, Split with Qwen's pattern, then ByteLevel without its regex
        "qwen2": tokenizer(added([("<|endoftext|>", True, False, False), ("<|im_start|>", True, False, False),
                                  ("<|im_end|>", True, False, False)], n),
                           {"type": "NFC"}, {"type": "Sequence", "pretokenizers": [split(QWEN), bytelevel(regex=False)]},
                           bpe_model(bv, bm)),
        # Llama-3: ignore_merges, digits in threes
        "llama3": tokenizer(added([("<|begin_of_text|>", True, False, False), ("<|end_of_text|>", True, False, False)], n),
                            None, {"type": "Sequence", "pretokenizers": [split(LLAMA3), bytelevel(regex=False)]},
                            bpe_model(bv, bm, ignore_merges=True)),
        # DeepSeek-V3: three Splits, then ByteLevel; NFKC here to cover it
        "deepseek": tokenizer(added([("<｜begin▁of▁sentence｜>", True, False, False),
                                     ("<｜end▁of▁sentence｜>", True, False, False)], n),
                              {"type": "NFKC"},
                              {"type": "Sequence", "pretokenizers": [split(p) for p in DEEPSEEK] + [bytelevel(regex=False)]},
                              bpe_model(bv, bm)),
        # Llama-2 / Mixtral as converted from SentencePiece: Prepend + Replace, byte fallback
        "llama2": tokenizer(added([("<unk>", True, False, False), ("<s>", True, False, False), ("</s>", True, False, False)], 0),
                            {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                                                 {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
                            None, bpe_model(sv, sm, byte_fallback=True, unk="<unk>", fuse_unk=True)),
        # the newer conversion: Metaspace with prepend_scheme "first"
        "metaspace": tokenizer(added([("<unk>", True, False, False), ("<s>", True, False, False), ("</s>", True, False, False)], 0),
                               None, {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
                               bpe_model(sv, sm, byte_fallback=True, unk="<unk>", fuse_unk=True)),
        # Digits split one by one before a byte-level model
        "digits": tokenizer([], None, {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                                                                              bytelevel()]},
                            bpe_model(bv, bm)),
    }
    for name, t in kinds.items():
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(t, f, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
