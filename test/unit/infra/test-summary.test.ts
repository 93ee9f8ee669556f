import { describe, expect, it } from 'vitest';
import { summarise } from '../../../infra/test-summary';

const file = (name: string, status: string, assertions: { fullName: string; status: string; failureMessages?: string[] }[], message = '') => ({
  name: `${process.cwd()}/${name}`,
  status,
  message,
  assertionResults: assertions.map((a) => ({ duration: 1500, failureMessages: [], ...a })),
});

describe('test summary', () => {
  it('names each failed test with its first error lines, without colour codes or library stack frames', () => {
    const { lines, failed } = summarise('integration', {
      numTotalTests: 3,
      numPassedTests: 2,
      numFailedTests: 1,
      numPendingTests: 0,
      testResults: [
        file('test/a.test.ts', 'passed', [{ fullName: 'a works', status: 'passed' }]),
        file('test/b.test.ts', 'failed', [
          { fullName: 'b also works', status: 'passed' },
          {
            fullName: 'b resumes',
            status: 'failed',
            failureMessages: ['\x1b[31mAssertionError: expected 2 to be 3\x1b[39m\n\n    at /repo/test/b.test.ts:9:3\n    at /repo/node_modules/x.js:1:1'],
          },
        ]),
      ],
    });
    expect(failed).toBe(true);
    expect(lines).toEqual([
      '[test] integration: 2 passed, 1 failed, 0 skipped of 3 in 2 files',
      '[test]   FAILED test/b.test.ts > b resumes (1.5 s)',
      '[test]     AssertionError: expected 2 to be 3',
      '[test]         at /repo/test/b.test.ts:9:3',
    ]);
  });

  it('reports a file that failed outside its tests, and passes a clean report', () => {
    const broken = summarise('unit', {
      numTotalTests: 0,
      numPassedTests: 0,
      numFailedTests: 0,
      numPendingTests: 0,
      testResults: [file('test/c.test.ts', 'failed', [], 'Error: Cannot find module ./gone')],
    });
    expect(broken.failed).toBe(true);
    expect(broken.lines.slice(1)).toEqual(['[test]   FAILED test/c.test.ts (outside its tests)', '[test]     Error: Cannot find module ./gone']);
    const clean = summarise('unit', { numTotalTests: 1, numPassedTests: 1, numFailedTests: 0, numPendingTests: 0, testResults: [file('test/a.test.ts', 'passed', [{ fullName: 'a', status: 'passed' }])] });
    expect(clean).toEqual({ failed: false, lines: ['[test] unit: 1 passed, 0 failed, 0 skipped of 1 in 1 files'] });
  });
});
