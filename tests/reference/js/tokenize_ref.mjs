// tokenize_ref.mjs TOKENIZER.json TEXTS.jsonl: the reference for grokmon's
// tokenizer: @huggingface/tokenizers (tokenizers.js, the JavaScript port of HF
// tokenizers), no special tokens added; one JSON array of ids per line.
// With --count FILE: the file's lines as documents; prints tokens, bytes, seconds.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const args = process.argv.slice(2);
const counting = args[0] === "--count";
const [tokPath, textPath] = counting ? args.slice(1) : args;
const tok = new Tokenizer(JSON.parse(readFileSync(tokPath, "utf8")), {});
if (counting) {
  const text = readFileSync(textPath, "utf8");
  const lines = text.split(/(?<=\n)/);
  const t0 = process.hrtime.bigint();
  let total = 0;
  for (const l of lines) total += tok.encode(l, { add_special_tokens: false }).ids.length;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${total} tokens ${Buffer.byteLength(text)} bytes ${s.toFixed(3)} s`);
} else {
  const out = [];
  for (const line of readFileSync(textPath, "utf8").split("\n")) {
    if (!line) continue;
    const { text } = JSON.parse(line);
    out.push(JSON.stringify(tok.encode(text, { add_special_tokens: false }).ids).replaceAll(",", ", "));
  }
  console.log(out.join("\n"));
}
