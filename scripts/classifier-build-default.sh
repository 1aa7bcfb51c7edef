#!/usr/bin/env bash
# Rebuilds the classifier's shipped default model from data/classifier/examples.jsonl:
#   data/classifier/default.sbcm                                  the model file
#   Sources/SwitchboardCore/Classification/DefaultModelData.swift the same bytes as base64, compiled in
#   data/classifier/default-model-report.txt                      its figures on examples-test.jsonl
# Training runs inside a test that is skipped unless SWITCHBOARD_BUILD_DEFAULT_MODEL is set, so
# it uses the library's own ClassifierTraining.train. Deterministic: same data, same bytes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
SWITCHBOARD_BUILD_DEFAULT_MODEL="$root" swift test -c release --scratch-path "${SCRATCH_PATH:-.build-clf}" \
    --filter ClassifierDefaultModelBuild/buildDefaultModel
# The generated source changed: build once more so the binary carries the new model.
swift build --scratch-path "${SCRATCH_PATH:-.build-clf}" --target SwitchboardCore >/dev/null
echo "default model rebuilt: $(wc -c < data/classifier/default.sbcm) bytes; report in data/classifier/default-model-report.txt"
