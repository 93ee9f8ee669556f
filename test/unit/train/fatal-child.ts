/** A child entry for child-runner.test.ts: dies the way V8 does on OOM, its cause line followed by a long native stack. */
process.stderr.write('\n<--- Last few GCs --->\n\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n----- Native stack trace -----\n\n');
for (let i = 1; i <= 120; i++) process.stderr.write(` ${i}: 0x${(0x10fb205 + i).toString(16)} v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace) [/usr/bin/node]\n`);
process.stderr.write('', () => process.abort());
