#!/usr/bin/env bash
# model_errors.sh: every way a checkpoint folder can be broken gives one
# located line on stderr and exit 1 from model-check (model_open, as
# router-trace uses it). Each case copies a good generated checkpoint, breaks
# one thing (config key, tensor, shape, dtype, offsets, header length,
# truncation), and names the file and the key or tensor it expects in the
# message. Cases are data: name ~ how to break ~ expected fragment.
source "$(dirname "$0")/../lib.sh"
GEN=$TOOLS/gen-checkpoint MC=$TOOLS/model-check
good=$TMP/good sharded=$TMP/sharded
$GEN --hidden 32 --layers 2 --heads 4 --ffn 16 --experts 4 --top-k 2 --vocab 64 --dtype bf16 "$good" \
  || echo "not ok - gen-checkpoint failed"
$GEN --hidden 32 --layers 2 --heads 4 --ffn 16 --experts 4 --top-k 2 --vocab 64 --shards 2 "$sharded" \
  || echo "not ok - gen-checkpoint failed"
check "the good checkpoints open" $MC "$good"
check "the good sharded checkpoint opens" $MC "$sharded"

# Edit config.json: cfg DIR 'python statements on dict c'
cfg() {
  $PY - "$1/config.json" "$2" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"))
EOF
}
# Rewrite a safetensors header, keeping the data bytes: hdr FILE 'statements on dict h'
hdr() {
  $PY - "$1" "$2" <<'EOF'
import json, struct, sys
p = sys.argv[1]
b = open(p, "rb").read()
(n,) = struct.unpack("<Q", b[:8])
h = json.loads(b[8:8 + n])
exec(sys.argv[2])
j = json.dumps(h, separators=(",", ":")).encode()
j += b" " * (-len(j) % 8)  # offsets are relative to the data area: it may move
open(p, "wb").write(struct.pack("<Q", len(j)) + j + b[8 + n:])
EOF
}

ST=model.safetensors
G=model.layers.1.mlp.gate.weight
cases=(
  "missing config key~cfg \$d 'del c[\"hidden_size\"]'~config.json: missing key \"hidden_size\""
  "negative size in config~cfg \$d 'c[\"num_experts\"] = -4'~config.json: key \"num_experts\" is -4, must be a positive integer"
  "zero size in config~cfg \$d 'c[\"intermediate_size\"] = 0'~config.json: key \"intermediate_size\" is 0"
  "unsupported model_type~cfg \$d 'c[\"model_type\"] = \"dbrx\"'~config.json: model_type \"dbrx\" is not supported (supported: olmoe, mixtral, qwen2_moe, qwen3_moe, deepseek_v2, deepseek_v3, granitemoe, granitemoeshared)"
  "config not JSON~echo '{\"model_type\": ' > \$d/config.json~config.json: not valid JSON"
  "no config.json~rm \$d/config.json~config.json: cannot open"
  "config disagrees with the tensors~cfg \$d 'c[\"num_experts\"] = 5'~$ST: tensor model.layers.0.mlp.gate.weight has shape [4, 32], config says [5, 32]"
  "missing tensor~hdr \$d/$ST 'del h[\"$G\"]'~$ST: tensor $G is missing"
  "wrong shape~hdr \$d/$ST 'h[\"$G\"][\"shape\"] = [32, 4]'~$ST: tensor $G has shape [32, 4], config says [4, 32]"
  "wrong rank~hdr \$d/$ST 'h[\"model.norm.weight\"][\"shape\"] = [2, 16]'~$ST: tensor model.norm.weight has shape [2, 16], config says [32]"
  "wrong dtype~hdr \$d/$ST 'h[\"$G\"][\"dtype\"] = \"I16\"'~$ST: tensor $G has dtype I16, expected F32, BF16 or F16"
  "unknown dtype~hdr \$d/$ST 'h[\"$G\"][\"dtype\"] = \"Q4\"'~$ST: tensor $G has unknown dtype \"Q4\""
  "size not dtype x shape~hdr \$d/$ST 'h[\"$G\"][\"dtype\"] = \"F32\"'~$ST: tensor $G: data_offsets span 256 bytes, dtype F32 x shape needs 512"
  "overlapping offsets~hdr \$d/$ST 'h[\"$G\"][\"data_offsets\"] = h[\"model.norm.weight\"][\"data_offsets\"][:1] * 2; h[\"$G\"][\"data_offsets\"][1] += 256'~overlap"
  "offsets past the file~hdr \$d/$ST 'h[\"$G\"][\"data_offsets\"] = [10**9, 10**9 + 256]'~$ST: tensor $G: data_offsets [1000000000, 1000000256] run past the end of the file"
  "truncated file~truncate -s -100 \$d/$ST~run past the end of the file"
  "truncated inside the header~truncate -s 300 \$d/$ST~$ST: header length"
  "truncated below 8 bytes~truncate -s 5 \$d/$ST~$ST: truncated: 5 bytes"
  "empty file~truncate -s 0 \$d/$ST~$ST: truncated: 0 bytes"
  "header length past the file~printf '\\377\\377\\377\\377\\0\\0\\0\\0' | dd of=\$d/$ST conv=notrunc status=none~$ST: header length 4294967295 runs past the end of the file"
  "header not JSON~printf 'xx' | dd of=\$d/$ST bs=1 seek=8 conv=notrunc status=none~$ST: header is not valid JSON"
  "no weights at all~rm \$d/$ST~no model.safetensors or model.safetensors.index.json"
)
for c in "${cases[@]}"; do
  IFS='~' read -r name how frag <<<"$c"
  d=$TMP/case; rm -rf "$d"; cp -r "$good" "$d"
  eval "$how" || echo "not ok - $name: could not break the checkpoint"
  must_fail "$name" 1 "$frag" "$MC '$d'"
done

# the sharded layout
S1=model-00001-of-00002.safetensors S2=model-00002-of-00002.safetensors
IX=model.safetensors.index.json
sharded_cases=(
  "shard file missing~rm \$d/$S2~$S2: cannot open: No such file or directory"
  "tensor missing from weight_map~$PY -c 'import json,sys; p=sys.argv[1]; j=json.load(open(p)); del j[\"weight_map\"][\"lm_head.weight\"]; json.dump(j, open(p, \"w\"))' \$d/$IX~$IX: tensor lm_head.weight is missing from weight_map"
  "weight_map points at the wrong shard~$PY -c 'import json,sys; p=sys.argv[1]; j=json.load(open(p)); j[\"weight_map\"][\"lm_head.weight\"]=\"$S1\"; json.dump(j, open(p, \"w\"))' \$d/$IX~$S1: tensor lm_head.weight is missing (weight_map places it there)"
  "weight_map leaves the folder~$PY -c 'import json,sys; p=sys.argv[1]; j=json.load(open(p)); j[\"weight_map\"][\"lm_head.weight\"]=\"../x\"; json.dump(j, open(p, \"w\"))' \$d/$IX~$IX: weight_map entry for lm_head.weight must be a file name in the same folder"
  "index not JSON~echo '{' > \$d/$IX~$IX: not valid JSON"
  "shard truncated~truncate -s -8 \$d/$S2~$S2: tensor lm_head.weight: data_offsets"
)
for c in "${sharded_cases[@]}"; do
  IFS='~' read -r name how frag <<<"$c"
  d=$TMP/case; rm -rf "$d"; cp -r "$sharded" "$d"
  eval "$how" || echo "not ok - $name: could not break the checkpoint"
  must_fail "$name" 1 "$frag" "$MC '$d'"
done

must_fail "folder does not exist" 1 "nowhere/config.json: cannot open" "$MC '$TMP/nowhere'"
must_fail "usage: no folder" 2 "expected one checkpoint folder" "$MC"
must_fail "usage: unknown option" 2 "--bogus" "$MC --bogus '$good'"
must_fail "no such tensor" 1 "has no tensor model.nope" "$MC --tensor model.nope -o '$TMP/v' '$good'"
no_file "a failed dump leaves no output file" "$TMP/v"
