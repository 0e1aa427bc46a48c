#!/usr/bin/env bash
# The paper's claim at this machine's scale (docs/results.md): CLIP, SimCLR and SLIP on the same budget (Tiny preset,
# the built-in shapes, EPOCHS epochs, batch 64, each objective's reference lr and weight decay), SEEDS seeds each;
# then zero-shot and linear probe on the held-out split, and end-to-end fine-tuning for FT_EPOCHS epochs (the
# reference's recipe, lr scaled to batch 64). Writes runs and results under OUT and prints a table.
#   scripts/claim.sh [OUT] [EPOCHS] [SEEDS] [FT_EPOCHS]
set -euo pipefail
out=${1:-/tmp/slip-claim}
epochs=${2:-10}
seeds=${3:-3}
ft_epochs=${4:-30}
cd "$(dirname "$0")/.."
dotnet build Slip.Training -c Release -v quiet -nologo >/dev/null
mkdir -p "$out"
# Run from a copy, so rebuilding the tree while this runs cannot change the trainer under it.
rm -rf "$out/bin" && cp -r Slip.Training/bin/Release/net10.0/linux-x64 "$out/bin"
T="$out/bin/Slip.Training.dll"
for seed in $(seq 0 $((seeds - 1))); do
  for objective in Clip SimClr Slip; do
    case $objective in Clip) lr=5e-4 wd=0.5 ;; SimClr) lr=3.2e-3 wd=0.1 ;; Slip) lr=3e-3 wd=0.1 ;; esac
    run="$out/${objective,,}-s$seed"
    if [ ! -f "$run/results.json" ]; then
      echo "{\"objective\":\"$objective\",\"model\":\"Tiny\",\"dataset\":\"shapes\",\"epochs\":$epochs,\"batchSize\":64,\"learningRate\":$lr,\"weightDecay\":$wd,\"seed\":$seed,\"logEvery\":32}" > "$out/${objective,,}-s$seed.json"
      rm -rf "$run"
      start=$(date +%s)
      dotnet $T train --config "$out/${objective,,}-s$seed.json" --out "$run" < /dev/null > "$run.log"
      tasks=linear_probe; [ "$objective" != SimClr ] && tasks=zeroshot_classification,linear_probe
      dotnet $T eval --checkpoint "$run/epoch_$(printf %03d "$epochs").pt" --dataset shapes --tasks "$tasks" --out "$run/results.json" > /dev/null
      echo "$objective seed $seed: $(( $(date +%s) - start )) s"
    fi
    if [ ! -f "$run/finetune.json" ]; then
      start=$(date +%s)
      dotnet $T eval --checkpoint "$run/epoch_$(printf %03d "$epochs").pt" --dataset shapes --tasks finetune --ft-epochs "$ft_epochs" --seed "$seed" --out "$run/finetune.json" > /dev/null
      echo "$objective seed $seed fine-tuning: $(( $(date +%s) - start )) s"
    fi
  done
done
/usr/bin/python3 - "$out" "$seeds" <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], int(sys.argv[2])
def metric(objective, seed, task, name):
    for file in ["results.json", "finetune.json"]:
        for r in json.load(open(f"{out}/{objective}-s{seed}/{file}")):
            if r["task"] == task:
                return r["metrics"][name]
    return None
print("| objective | zero-shot top-1 | zero-shot top-5 | linear probe top-1 | linear probe top-5 | fine-tune top-1 |")
print("| --- | --- | --- | --- | --- | --- |")
for objective in ["clip", "simclr", "slip"]:
    cells = []
    for task, name in [("zeroshot_classification", "acc1"), ("zeroshot_classification", "acc5"), ("linear_probe", "lp_acc1"), ("linear_probe", "lp_acc5"), ("finetune", "ft_acc1")]:
        values = [metric(objective, s, task, name) for s in range(seeds)]
        values = [v for v in values if v is not None]
        cells.append("n/a" if not values else f"{statistics.mean(values):.1f} ± {statistics.stdev(values) if len(values) > 1 else 0:.1f}")
    print(f"| {objective} | " + " | ".join(cells) + " |")
PY
