#!/usr/bin/env bash
# `make test` after bootstrap and typecheck: the unit project and the integration project run at the same time.
# Vitest itself would run them one after the other (a project without file parallelism goes in a group of its own,
# after every parallel group), which put ~9 min of unit tests in front of ~16 min of integration tests on 2 cores.
# Units get one worker, so the integration files (sequential: they share the services global-setup starts) keep
# a core; the unit log is printed when both are done, and either failing fails the run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .state/test
unit_log=.state/test/unit.log
echo "[test] unit tests run alongside the integration tests (log: $unit_log, printed at the end)"
npx --no-install vitest run --project unit --maxWorkers=1 --color >"$unit_log" 2>&1 &
unit_pid=$!
trap 'kill "$unit_pid" 2>/dev/null' INT TERM
npx --no-install vitest run --project integration
integration_rc=$?
wait "$unit_pid"
unit_rc=$?
echo
echo "[test] ---- unit tests ($unit_log) ----"
cat "$unit_log"
echo "[test] unit exit $unit_rc, integration exit $integration_rc"
[[ $unit_rc -eq 0 && $integration_rc -eq 0 ]]
