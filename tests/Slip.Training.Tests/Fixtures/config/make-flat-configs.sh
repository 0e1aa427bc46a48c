#!/usr/bin/env bash
# Writes the flat configs the last flat-config version of Slip (commit 25068db) stored, for ConfigTests: a rich CLIP run
# on a CSV manifest, and the defaults. Run from the repository root; needs the .NET 10 SDK and the git history.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(mktemp -d)
git worktree add -q --detach "$tree" 25068db
trap 'git worktree remove --force "$tree"' EXIT
dotnet build "$tree/Slip.Training" -c Release -v q -nologo >/dev/null
cli="$tree/Slip.Training/bin/Release/net10.0/linux-x64/Slip.Training.dll"
cat >"$tree/rich.json" <<'JSON'
{"objective": "Clip", "model": "ViT-S/16", "dataset": "my-cc", "data": {"format": "csv", "path": "/data/cc/train.csv"}, "epochSamples": 5000,
 "epochs": 3, "batchSize": 128, "precision": "bf16", "gradClipNorm": 1.0, "learningRate": 5e-4, "weightDecay": 0.5,
 "keepLastCheckpoints": 2, "keepEveryCheckpoints": 1, "keepBestCheckpoint": "zeroshot_acc1", "evaluateAtEnd": "linear_probe", "zeroShotEvery": 3, "evalSamples": 500}
JSON
echo '{}' >"$tree/default.json"
dotnet "$cli" validate --config "$tree/rich.json" >"$here/flat-config-25068db.json"
dotnet "$cli" validate --config "$tree/default.json" >"$here/flat-default-25068db.json"
