# Quickstart: `make demo` runs the pipeline on the bundled sample data; `make test` runs the whole test suite.
# Both install what is missing first (infra/bootstrap.sh) and start the services they need.
SHELL := /bin/bash
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED := true
TSX := npx --no-install tsx

.PHONY: deps deps-gpu deps-test demo test typecheck unit integration up down status worker bench bench-python clean

deps:
	@bash infra/bootstrap.sh

# The GPU engine (tfjs-node-gpu on TensorFlow 2.21 + CUDA 12 wheels); workers then need only the NVIDIA driver.
# Not part of `make test`.
deps-gpu:
	@bash infra/bootstrap.sh --gpu

deps-test:
	@bash infra/bootstrap.sh --test

demo: deps
	@$(TSX) cli/demo.ts

test: deps-test typecheck
	@bash infra/test.sh

typecheck:
	npx --no-install tsc --noEmit -p tsconfig.json

unit: deps-test
	npx --no-install vitest run --project unit

integration: deps-test
	npx --no-install vitest run --project integration

# The embedded services for day-to-day use: Temporal dev server (UI on :8233) and SeaweedFS (S3 on :8333).
up: deps
	@$(TSX) infra/cli.ts up

down:
	@$(TSX) infra/cli.ts down

status:
	@$(TSX) infra/cli.ts status

# An all-in-one worker (fsfm-cpu + fsfm-gpu queues) against TEMPORAL_ADDRESS (default 127.0.0.1:7233).
worker: deps
	@$(TSX) workers/dev.ts

# The Python reference peer of bench/prepare.ts (bench only, never the product): a venv with PyPI's dlib-bin,
# opencv-python-headless, pillow and numpy under .state/bench/pyref. Idempotent.
bench-python:
	@test -x .state/bench/pyref/bin/python || python3 -m venv .state/bench/pyref
	@.state/bench/pyref/bin/python -c 'import dlib, cv2, PIL, numpy' 2>/dev/null || .state/bench/pyref/bin/pip install -q dlib-bin opencv-python-headless pillow numpy

clean:
	rm -rf .artifacts native/build
