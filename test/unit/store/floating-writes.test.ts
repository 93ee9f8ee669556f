/**
 * Guards the rule that keeps a failed store write from killing the worker: every store write (put, commit, delete,
 * download, adopt on a store or a set writer) is awaited, returned, or handed straight to an awaited Promise.all with
 * no other await beside it. A write left floating across another await rejects with nobody listening, and Node ends
 * the process on an unhandled rejection (issue 11, defect 2: the face PNG put in lib/prepare/video.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/paths';

const WRITE_METHODS = new Set(['put', 'commit', 'delete', 'download', 'adopt']);
const STORE_RECEIVER = /store|writer|^w$/i;
const SOURCE_DIRS = ['lib', 'activities', 'workflows', 'workers', 'cli', 'infra', 'samples', 'bench'];

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function containsAwait(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node) => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && n.awaitModifier)) found = true;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/** Whether the promise a call returns is certainly observed before anything else can run. */
function handled(call: ts.Node): boolean {
  let node = call;
  let parent = node.parent;
  while (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isNonNullExpression(parent) || ts.isConditionalExpression(parent) || (ts.isBinaryExpression(parent) && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(parent.operatorToken.kind))) {
    node = parent;
    parent = node.parent;
  }
  if (ts.isAwaitExpression(parent) || ts.isReturnStatement(parent)) return true;
  if (ts.isArrowFunction(parent) && parent.body === node) return true;
  if (ts.isArrayLiteralExpression(parent)) {
    const all = parent.parent;
    return (
      ts.isCallExpression(all) &&
      /^Promise\.(all|allSettled)$/.test(all.expression.getText()) &&
      !containsAwait(parent) &&
      (ts.isAwaitExpression(all.parent) || ts.isReturnStatement(all.parent) || (ts.isArrowFunction(all.parent) && all.parent.body === all))
    );
  }
  return false;
}

export function floatingStoreWrites(file: string, text = fs.readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && WRITE_METHODS.has(n.expression.name.text)) {
      const receiver = n.expression.expression.getText(sf);
      if (STORE_RECEIVER.test(receiver) && !handled(n)) {
        const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
        out.push(`${path.relative(repoRoot, file)}:${line + 1}: ${n.getText(sf).slice(0, 80)}`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('store writes', () => {
  it('are never left floating anywhere in the product code', () => {
    const files = SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(repoRoot, d)));
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap((f) => floatingStoreWrites(f))).toEqual([]);
  });

  it('flags the pattern that killed the worker, and accepts the safe shapes', () => {
    const bad = `async function f(writer, a, b) {
      const put = [writer.put('a', await a(), {})];
      put.push(writer.put('b', await b(), {}));
      await Promise.all(put);
      store.put('c', 'x');
      const p = store.delete('d'); await other(); await p;
    }`;
    expect(floatingStoreWrites('bad.ts', bad)).toHaveLength(4);
    const good = `async function f(writer, store, a) {
      await writer.put('a', a, {});
      await Promise.all([writer.put('a', a), cond ? writer.put('b', a) : undefined]);
      await Promise.all(keys.map((k) => store.put(k, a)));
      return store.commit('k', {});
    }`;
    expect(floatingStoreWrites('good.ts', good)).toEqual([]);
  });
});
