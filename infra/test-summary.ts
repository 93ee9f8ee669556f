/**
 * `tsx infra/test-summary.ts <report.json>...`: the last lines `make test` prints, from vitest's JSON reports.
 * A CI log is often read from its tail alone; the full logs come first, so without this a failing integration
 * test scrolled out of sight behind the unit log and only "integration exit 1" was left to read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';

interface AssertionResult {
  fullName: string;
  status: string;
  duration?: number | null;
  failureMessages: string[];
}

interface FileResult {
  name: string;
  status: string;
  message?: string;
  assertionResults: AssertionResult[];
}

interface JsonReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: FileResult[];
}

const MESSAGE_LINES = 6;

/** The first lines of a failure, without colour codes, blank lines or stack frames outside the project. */
function firstLines(message: string): string[] {
  const plain = message.replace(/\x1b\[[0-9;]*m/g, '');
  const noise = (l: string) => l.trim() === '' || /^\s*at .*(node_modules|node:internal|<anonymous>)/.test(l);
  return plain.split('\n').map((l) => l.trimEnd()).filter((l) => !noise(l)).slice(0, MESSAGE_LINES);
}

/** Lines describing one project's report; `failed` tells whether it holds a failure. */
export function summarise(label: string, report: JsonReport): { lines: string[]; failed: boolean } {
  const lines = [
    `[test] ${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped` +
      ` of ${report.numTotalTests} in ${report.testResults.length} files`,
  ];
  let failed = report.numFailedTests > 0;
  for (const file of report.testResults) {
    const path = relative(process.cwd(), file.name);
    const failures = file.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failures) {
      const seconds = a.duration == null ? '' : ` (${(a.duration / 1000).toFixed(1)} s)`;
      lines.push(`[test]   FAILED ${path} > ${a.fullName}${seconds}`);
      for (const l of firstLines(a.failureMessages.join('\n'))) lines.push(`[test]     ${l}`);
    }
    // A file can fail outside any test: an import error, a hook, an unhandled rejection.
    if (file.status === 'failed' && failures.length === 0) {
      failed = true;
      lines.push(`[test]   FAILED ${path} (outside its tests)`);
      for (const l of firstLines(file.message ?? 'no message')) lines.push(`[test]     ${l}`);
    }
  }
  return { lines, failed };
}

/** The project-relative files of a report that hold a failure (what a rerun should run again). */
export function failedFiles(report: JsonReport): string[] {
  return report.testResults.filter((f) => f.status === 'failed').map((f) => relative(process.cwd(), f.name));
}

/** A vitest JSON report, or null when vitest wrote none (it did not finish). */
function readReport(path: string): JsonReport | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as JsonReport) : null;
}

function main(paths: string[]): number {
  let failed = false;
  for (const path of paths) {
    const label = basename(path, '.json');
    const report = readReport(path);
    if (!report) {
      console.log(`[test] ${label}: no report at ${path} (vitest did not finish)`);
      failed = true;
      continue;
    }
    const summary = summarise(label, report);
    for (const l of summary.lines) console.log(l);
    failed ||= summary.failed;
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  const [first, ...rest] = process.argv.slice(2);
  if (first === '--failed-files') {
    // One path per line, for the shell; nothing when the report is missing or clean.
    const report = readReport(rest[0]);
    if (report) for (const f of failedFiles(report)) console.log(f);
  } else {
    process.exitCode = main([first, ...rest]);
  }
}
