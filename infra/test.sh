#!/usr/bin/env bash
# `make test` after bootstrap and typecheck: the unit project and the integration project run at the same time.
# Vitest itself would run them one after the other (a project without file parallelism goes in a group of its own,
# after every parallel group), which put ~9 min of unit tests in front of ~16 min of integration tests on 2 cores.
# Units get one worker, so the integration files (sequential: they share the services global-setup starts) keep
# a core; the unit log is printed when both are done, and either failing fails the run.
# Each project also writes a JSON report; the run ends with a short summary of both that names every failed test
# and its first error lines, so a log read from its tail (as CI logs often are) says what failed.
# Integration files that fail run once more, alone: they drive real services, processes and timeouts on a shared
# 2-core machine, and one rerun tells a flaky test from a broken one. A file that fails twice fails the run; one
# that passes the second time passes it, and the summary names it as FLAKY with its first failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p .state/test
unit_log=.state/test/unit.log
rm -f .state/test/unit.json .state/test/integration.json .state/test/integration-rerun.json
json_report() { echo "--reporter=default --reporter=json --outputFile.json=.state/test/$1.json"; }
echo "[test] unit tests run alongside the integration tests (log: $unit_log, printed at the end)"
# shellcheck disable=SC2046
npx --no-install vitest run --project unit --maxWorkers=1 --color $(json_report unit) >"$unit_log" 2>&1 &
unit_pid=$!
trap 'kill "$unit_pid" 2>/dev/null' INT TERM
# shellcheck disable=SC2046
npx --no-install vitest run --project integration $(json_report integration)
integration_rc=$?
flaky=()
if [[ $integration_rc -ne 0 ]]; then
  mapfile -t flaky < <(npx --no-install tsx infra/test-summary.ts --failed-files .state/test/integration.json)
  if (( ${#flaky[@]} > 0 )); then
    echo "[test] integration failed in ${flaky[*]}; running those files once more"
    # shellcheck disable=SC2046
    npx --no-install vitest run --project integration "${flaky[@]}" $(json_report integration-rerun)
    integration_rc=$?
  fi
fi
wait "$unit_pid"
unit_rc=$?
echo
echo "[test] ---- unit tests ($unit_log) ----"
cat "$unit_log"
echo
echo "[test] ---- summary ----"
reports=(.state/test/unit.json .state/test/integration.json)
(( ${#flaky[@]} > 0 )) && reports+=(.state/test/integration-rerun.json)
npx --no-install tsx infra/test-summary.ts "${reports[@]}"
if (( ${#flaky[@]} > 0 )) && [[ $integration_rc -eq 0 ]]; then
  echo "[test] FLAKY: ${flaky[*]} failed (above) and then passed alone; the run passes, the test needs fixing"
fi
echo "[test] unit exit $unit_rc, integration exit $integration_rc"
[[ $unit_rc -eq 0 && $integration_rc -eq 0 ]]
