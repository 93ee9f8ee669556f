import fs from 'node:fs';
import { CliError } from './errors';

/** Reads a workflow input: a JSON file, or stdin for '-'. */
export function readInput(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read input file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`input file ${file} is not valid JSON: ${(err as Error).message}`, 2);
  }
}
